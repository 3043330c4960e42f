#include <gtest/gtest.h>

#include "emulator/vm/apt.h"
#include "emulator/vm/apt_client.h"
#include "test_data.h"

using namespace scalelab::vm;

TEST(AptSources, MirrorFromDeb822SkipsSecurityAndComments) {
  const char* text = R"(Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
)";
  auto m = mirror_from_deb822(text);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->uri, "http://mirror.example/debian");
  EXPECT_EQ(m->signed_by, "/usr/share/keyrings/debian-archive-keyring.gpg");
}

TEST(AptSources, Deb822SecurityOnlyOrDisabledGivesNothing) {
  EXPECT_FALSE(mirror_from_deb822("Types: deb\nURIs: http://m/debian-security\nSuites: bookworm-security\n"));
  EXPECT_FALSE(mirror_from_deb822("Enabled: no\nTypes: deb\nURIs: http://m/debian\nSuites: bookworm\n"));
  EXPECT_FALSE(mirror_from_deb822("Types: deb-src\nURIs: http://m/debian\nSuites: bookworm\n"));
}

TEST(AptSources, InlineKeyIsNotCarriedOver) {
  auto m = mirror_from_deb822("Types: deb\nURIs: http://m/debian\nSuites: sid\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->signed_by, "");
}

TEST(AptSources, MirrorFromOneLineFormat) {
  const char* text = "# comment\ndeb http://m/debian-security bookworm-security main\n"
                     "deb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main contrib # tail\n";
  auto m = mirror_from_one_line(text);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->uri, "http://m/debian");
  EXPECT_EQ(m->signed_by, "/k.gpg");
  EXPECT_FALSE(mirror_from_one_line("deb-src http://m/debian bookworm main\n"));
}

TEST(AptSources, ProjectSourcesListNamesEverySuite) {
  auto list = make_sources_list({"http://m/debian", "/k.gpg"}, default_suites());
  EXPECT_NE(list.find("deb [signed-by=/k.gpg] http://m/debian trixie-backports main\n"), std::string::npos);
  EXPECT_NE(list.find("deb [signed-by=/k.gpg] http://m/debian forky main\n"), std::string::npos);
  EXPECT_NE(list.find("deb [signed-by=/k.gpg] http://m/debian sid main\n"), std::string::npos);
  EXPECT_LT(list.find("trixie-backports"), list.find("forky"));
  auto plain = make_sources_list({"http://m/debian", ""}, {"sid"});
  EXPECT_NE(plain.find("deb http://m/debian sid main\n"), std::string::npos);
}

TEST(AptSources, OptionsPointAtTheProjectsDirectoriesOnly) {
  auto o = apt_options(AptDirs{"/var/cache/scalelab/vm/apt"});
  auto has = [&](const std::string& s) { return std::find(o.begin(), o.end(), s) != o.end(); };
  EXPECT_TRUE(has("Dir::Etc::sourcelist=/var/cache/scalelab/vm/apt/sources.list"));
  EXPECT_TRUE(has("Dir::Etc::sourceparts=-"));
  EXPECT_TRUE(has("Dir::State::Lists=/var/cache/scalelab/vm/apt/lists"));
  EXPECT_TRUE(has("Dir::Cache=/var/cache/scalelab/vm/apt/cache"));
}

TEST(AptParse, PolicyGivesVersionsAndSuites) {
  auto v = parse_policy(test_data("policy_linux-image-amd64.txt"), "linux-image-amd64");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].version, "7.3.4-1~bpo13+1");
  EXPECT_EQ(v[0].suites, std::vector<std::string>{"trixie-backports"});
  EXPECT_EQ(v[1].version, "7.2.13-1");
  EXPECT_EQ(v[1].suites, std::vector<std::string>{"sid"});
  EXPECT_EQ(v[2].version, "7.2.12-1");
  EXPECT_EQ(v[2].suites, std::vector<std::string>{"forky"});
}

TEST(AptParse, PolicyOfSeveralPackagesKeepsThemApart) {
  auto text = test_data("policy_7.2.12.txt");
  auto a = parse_policy(text, "linux-image-7.2.12+deb13-amd64");
  auto b = parse_policy(text, "linux-image-7.2.12+deb14-amd64");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].suites, std::vector<std::string>{"trixie-backports"});
  EXPECT_EQ(b[0].version, "7.2.12-1");
  EXPECT_EQ(b[0].suites, std::vector<std::string>{"forky"});
}

TEST(AptParse, PolicyMarksInstalledVersions) {
  const char* text = "linux-image-amd64:\n  Installed: 6.1.176-1\n  Candidate: 6.1.176-1\n  Version table:\n"
                     " *** 6.1.176-1 500\n        500 http://m/debian bookworm/main amd64 Packages\n"
                     "        100 /var/lib/dpkg/status\n";
  auto v = parse_policy(text, "linux-image-amd64");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].suites, (std::vector<std::string>{"bookworm", "installed"}));
}

TEST(AptParse, DependencyNames) {
  EXPECT_EQ(dependency_names("a (= 1), b | c (>= 2), d:any"), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(dependency_names("").empty());
}

TEST(AptParse, SplitLayoutSelectsBinaryModulesAndBase) {
  auto stanzas = parse_stanzas(test_data("show_image_7.3.4.txt"));
  ASSERT_EQ(stanzas.size(), 1u);
  auto set = kernel_packages_from_image(stanzas[0]);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->abi, "7.3.4+deb13-amd64");
  EXPECT_TRUE(set->split_layout);
  EXPECT_EQ(set->packages, (std::vector<std::string>{"linux-binary-7.3.4+deb13-amd64", "linux-modules-7.3.4+deb13-amd64",
                                                     "linux-base-7.3.4+deb13-amd64"}));
}

TEST(AptParse, OldLayoutImageIsItsOwnPayload) {
  auto stanzas = parse_stanzas(test_data("show_image_6.1_oldstyle.txt"));
  ASSERT_EQ(stanzas.size(), 1u);
  auto set = kernel_packages_from_image(stanzas[0]);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->abi, "6.1.0-49-amd64");
  EXPECT_FALSE(set->split_layout);
  EXPECT_EQ(set->packages, std::vector<std::string>{"linux-image-6.1.0-49-amd64"});
}

TEST(AptParse, MetapackagePointsAtTheImage) {
  auto stanzas = parse_stanzas(test_data("show_meta_7.3.4.txt"));
  ASSERT_FALSE(stanzas.empty());
  EXPECT_EQ(image_from_metapackage(stanzas[0]), "linux-image-7.3.4+deb13-amd64");
}

TEST(AptParse, StanzasKeepSha256AndSizePerPackage) {
  auto stanzas = parse_stanzas(test_data("show_parts_7.3.4.txt"));
  ASSERT_EQ(stanzas.size(), 3u);
  EXPECT_EQ(field(stanzas[1], "Package"), "linux-modules-7.3.4+deb13-amd64");
  EXPECT_EQ(field(stanzas[1], "SHA256"), "b3ea01922c9f133767a83cf6891c19b3693858ded617bf22d1e34f95382c08ea");
  EXPECT_EQ(field(stanzas[1], "Size"), "106862204");
}

TEST(AptParse, GenericImageNamesDropFlavoursAndDebugSymbols) {
  std::vector<std::string> names;
  std::istringstream in(test_data("pkgnames_linux-image-7.2.12.txt"));
  for (std::string l; std::getline(in, l);) names.push_back(l);
  EXPECT_EQ(generic_image_names(names), (std::vector<std::string>{"linux-image-7.2.12+deb13-amd64", "linux-image-7.2.12+deb14-amd64"}));
}
