#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "emulator/vm/manifest.h"

using namespace scalelab::vm;

namespace {
Manifest sample() {
  Manifest m;
  m.abi = "7.3.4+deb13-amd64";
  m.upstream = "7.3.4";
  m.debian_version = "7.3.4-1~bpo13+1";
  m.suite = "trixie-backports";
  m.source = "apt";
  m.origin = "http://mirror.example/debian";
  m.packages = {{"linux-binary-7.3.4+deb13-amd64", "7.3.4-1~bpo13+1", "debs/b.deb", std::string(64, 'a'), 14138336},
                {"linux-modules-7.3.4+deb13-amd64", "7.3.4-1~bpo13+1", "debs/m.deb", std::string(64, 'b'), 106862204}};
  m.vmlinux = "vmlinux";
  m.vmlinux_sha256 = std::string(64, 'c');
  m.initramfs = "initramfs.cpio";
  m.initramfs_sha256 = std::string(64, 'd');
  m.initramfs_recipe = "0123456789abcdef";
  m.modules_dir = "root/usr/lib/modules/7.3.4+deb13-amd64";
  m.created = "2026-11-25T16:38:51Z";
  return m;
}
}  // namespace

TEST(Manifest, RoundTrips) {
  auto m = sample();
  auto back = Manifest::parse(m.to_json().dump());
  EXPECT_EQ(back.to_json(), m.to_json());
  EXPECT_EQ(back.packages.at(1).size, 106862204u);
  EXPECT_EQ(back.suite, "trixie-backports");
}

TEST(Manifest, RejectsWhatCannotBeTrusted) {
  auto j = sample().to_json();
  auto bad = j;
  bad.erase("abi");
  EXPECT_THROW(Manifest::from_json(bad), std::runtime_error);
  bad = j;
  bad["packages"][0]["sha256"] = "abc";
  EXPECT_THROW(Manifest::from_json(bad), std::runtime_error);
  bad = j;
  bad["packages"][0]["file"] = "../../etc/passwd";
  EXPECT_THROW(Manifest::from_json(bad), std::runtime_error);
  bad = j;
  bad["schema"] = 99;
  EXPECT_THROW(Manifest::from_json(bad), std::runtime_error);
  bad = j;
  bad["packages"] = nlohmann::json::array();
  EXPECT_THROW(Manifest::from_json(bad), std::runtime_error);
  EXPECT_THROW(Manifest::parse("{not json"), std::runtime_error);
  try {
    bad = j;
    bad["created"] = 5;
    Manifest::from_json(bad);
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("created"), std::string::npos);
  }
}
