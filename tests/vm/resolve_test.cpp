#include <gtest/gtest.h>

#include <map>

#include "emulator/vm/apt.h"
#include "emulator/vm/resolve.h"
#include "test_data.h"

using namespace scalelab::vm;

namespace {

// apt with canned answers; records which suites it was asked to update.
class FakeApt : public AptIndex {
 public:
  std::vector<std::vector<std::string>> updates;
  std::map<std::string, std::string> policies;  // package → policy text
  std::map<std::string, std::string> shows;     // "pkg=version" → stanza
  std::vector<std::string> names;

  void update(const std::vector<std::string>& suites) override { updates.push_back(suites); }
  std::string policy(const std::vector<std::string>& packages) override {
    std::string out;
    for (const auto& p : packages)
      if (policies.count(p)) out += policies[p];
    return out;
  }
  std::string show(const std::string& pv) override { return shows.count(pv) ? shows[pv] : ""; }
  std::vector<std::string> pkgnames(const std::string& prefix) override {
    std::vector<std::string> out;
    for (const auto& n : names)
      if (n.rfind(prefix, 0) == 0) out.push_back(n);
    return out;
  }
};

std::string stanza_text(const Stanza& s) {
  std::string out;
  for (const auto& [k, v] : s) out += k + ": " + v + "\n";
  return out + "\n";
}

FakeApt apt_with_734() {
  FakeApt apt;
  apt.policies["linux-image-amd64"] = test_data("policy_linux-image-amd64.txt");
  apt.shows["linux-image-amd64=7.3.4-1~bpo13+1"] = test_data("show_meta_7.3.4.txt");
  apt.shows["linux-image-7.3.4+deb13-amd64=7.3.4-1~bpo13+1"] = test_data("show_image_7.3.4.txt");
  for (const auto& s : parse_stanzas(test_data("show_parts_7.3.4.txt")))
    apt.shows[field(s, "Package") + "=" + field(s, "Version")] = stanza_text(s);
  return apt;
}

std::string split_image(const std::string& abi, const std::string& version) {
  return "Package: linux-image-" + abi + "\nVersion: " + version + "\nDepends: linux-base-" + abi + " (= " + version +
         "), linux-binary-" + abi + " (= " + version + "), linux-modules-" + abi + " (= " + version + ")\n\n";
}

std::string part(const std::string& name, const std::string& version, char hash) {
  return "Package: " + name + "\nVersion: " + version + "\nFilename: pool/main/l/x/" + name + ".deb\nSize: 1000\nSHA256: " +
         std::string(64, hash) + "\n\n";
}

}  // namespace

TEST(Resolve, AutoTakesTheFirstSuiteWithACapableKernel) {
  auto apt = apt_with_734();
  auto r = resolve_kernel(KernelRequest::parse("auto"), apt, default_suites(), "7.1", nullptr);
  EXPECT_EQ(r.suite, "trixie-backports");
  EXPECT_EQ(r.version, "7.3.4-1~bpo13+1");
  EXPECT_EQ(r.upstream, "7.3.4");
  EXPECT_EQ(r.abi, "7.3.4+deb13-amd64");
  EXPECT_TRUE(r.split_layout);
  ASSERT_EQ(r.packages.size(), 3u);
  EXPECT_EQ(r.packages[0].name, "linux-binary-7.3.4+deb13-amd64");
  EXPECT_EQ(r.packages[0].sha256, "7e3248d03a84dcdda88c567aa8c4038f2e7795d2dd167b112c56f8901b6f513f");
  EXPECT_EQ(r.packages[0].size, 14138336u);
  EXPECT_EQ(r.packages[1].name, "linux-modules-7.3.4+deb13-amd64");
  // Only the first suite's index was needed.
  ASSERT_EQ(apt.updates.size(), 1u);
  EXPECT_EQ(apt.updates[0], std::vector<std::string>{"trixie-backports"});
}

TEST(Resolve, AutoFallsBackToTheNextSuiteInOrder) {
  FakeApt apt;
  apt.policies["linux-image-amd64"] =
      "linux-image-amd64:\n  Installed: (none)\n  Candidate: 7.2.13-1\n  Version table:\n"
      "     7.2.13-1 500\n        500 http://m/debian sid/main amd64 Packages\n"
      "     7.2.12-1 500\n        500 http://m/debian forky/main amd64 Packages\n"
      "     6.12.57-1~bpo13+1 100\n        100 http://m/debian trixie-backports/main amd64 Packages\n";
  apt.shows["linux-image-amd64=7.2.12-1"] = "Package: linux-image-amd64\nVersion: 7.2.12-1\nDepends: linux-image-7.2.12+deb14-amd64 (= 7.2.12-1)\n\n";
  apt.shows["linux-image-7.2.12+deb14-amd64=7.2.12-1"] = split_image("7.2.12+deb14-amd64", "7.2.12-1");
  for (auto [n, h] : {std::pair{"linux-binary-", 'a'}, {"linux-modules-", 'b'}, {"linux-base-", 'c'}})
    apt.shows[std::string(n) + "7.2.12+deb14-amd64=7.2.12-1"] = part(std::string(n) + "7.2.12+deb14-amd64", "7.2.12-1", h);
  auto r = resolve_kernel(KernelRequest::parse("auto"), apt, default_suites(), "7.1", nullptr);
  EXPECT_EQ(r.suite, "forky");
  EXPECT_EQ(r.abi, "7.2.12+deb14-amd64");
  ASSERT_EQ(apt.updates.size(), 2u);
  EXPECT_EQ(apt.updates[1], (std::vector<std::string>{"trixie-backports", "forky"}));
  EXPECT_EQ(r.packages[1].sha256, std::string(64, 'b'));
}

TEST(Resolve, NothingNewEnoughSaysWhatWasSeen) {
  auto apt = apt_with_734();
  try {
    resolve_kernel(KernelRequest::parse("auto"), apt, default_suites(), "7.10", nullptr);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("trixie-backports: linux-image-amd64 7.3.4-1~bpo13+1"), std::string::npos) << m;
    EXPECT_NE(m.find("sid: linux-image-amd64 7.2.13-1"), std::string::npos) << m;
    EXPECT_NE(m.find("--kernel VERSION"), std::string::npos) << m;
  }
  EXPECT_EQ(apt.updates.size(), 3u);
}

TEST(Resolve, PinnedVersionFindsItsImageInTheFirstSuiteOfferingIt) {
  FakeApt apt;
  std::istringstream in(test_data("pkgnames_linux-image-7.2.12.txt"));
  for (std::string l; std::getline(in, l);) apt.names.push_back(l);
  apt.names.push_back("linux-image-7.2.1+deb13-amd64");  // a prefix of 7.2.12 that must not match 7.2.12, nor vice versa
  auto policy = test_data("policy_7.2.12.txt");
  apt.policies["linux-image-7.2.12+deb13-amd64"] = policy;
  apt.policies["linux-image-7.2.12+deb14-amd64"] = policy;
  const std::string v = "7.2.12-1~bpo13+1", abi = "7.2.12+deb13-amd64";
  apt.shows["linux-image-" + abi + "=" + v] = split_image(abi, v);
  for (auto n : {"linux-binary-", "linux-modules-", "linux-base-"}) apt.shows[n + abi + "=" + v] = part(n + abi, v, 'd');
  auto r = resolve_kernel(KernelRequest::parse("7.2.12"), apt, default_suites(), "7.1", nullptr);
  EXPECT_EQ(r.suite, "trixie-backports");
  EXPECT_EQ(r.abi, abi);
  EXPECT_EQ(r.version, v);
  EXPECT_THROW(resolve_kernel(KernelRequest::parse("7.2.1"), apt, default_suites(), "7.1", nullptr), std::runtime_error);
}

TEST(Resolve, PinnedAbiNamesTheImageDirectly) {
  FakeApt apt;
  apt.policies["linux-image-7.2.12+deb14-amd64"] = test_data("policy_7.2.12.txt");
  const std::string v = "7.2.12-1", abi = "7.2.12+deb14-amd64";
  apt.shows["linux-image-" + abi + "=" + v] = split_image(abi, v);
  for (auto n : {"linux-binary-", "linux-modules-", "linux-base-"}) apt.shows[n + abi + "=" + v] = part(n + abi, v, 'e');
  auto r = resolve_kernel(KernelRequest::parse("7.2.12+deb14-amd64"), apt, default_suites(), "7.1", nullptr);
  EXPECT_EQ(r.suite, "forky");
  EXPECT_EQ(r.abi, abi);
}

TEST(KernelRequestParse, Kinds) {
  EXPECT_EQ(KernelRequest::parse("auto").kind, KernelRequest::Kind::Auto);
  EXPECT_EQ(KernelRequest::parse("").kind, KernelRequest::Kind::Auto);
  EXPECT_EQ(KernelRequest::parse("7.2.13").kind, KernelRequest::Kind::Version);
  EXPECT_EQ(KernelRequest::parse("7.2.13+deb14-amd64").kind, KernelRequest::Kind::Version);
  EXPECT_EQ(KernelRequest::parse("./linux-binary-7.2.13+deb14-amd64_7.2.13-1_amd64.deb").kind, KernelRequest::Kind::LocalDeb);
  EXPECT_EQ(KernelRequest::parse("/tmp/k.deb").kind, KernelRequest::Kind::LocalDeb);
  EXPECT_THROW(KernelRequest::parse("latest"), std::invalid_argument);
  EXPECT_THROW(KernelRequest::parse("7.2;rm -rf"), std::invalid_argument);
}
