// NamespaceEntry without root: a namespace that does not exist fails at the first step, before
// anything about this process has changed.
#include "emulator/process/enter_namespace.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

using scalelab::process::NamespaceEntry;

TEST(NamespaceEntry, NamesTheNamespaceFile) {
  NamespaceEntry entry("sl-tiny-gpu0");
  EXPECT_EQ(entry.netns_name(), "sl-tiny-gpu0");
  EXPECT_EQ(entry.path(), "/run/netns/sl-tiny-gpu0");
}

TEST(NamespaceEntry, AMissingNamespaceFailsAtOpenWithAHint) {
  NamespaceEntry entry("sl-no-such-cluster-gpu0");
  const char* step = entry.enter();
  ASSERT_NE(step, nullptr);
  EXPECT_STREQ(step, "open");
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(entry.failure_message(step, ENOENT),
            "cannot enter /run/netns/sl-no-such-cluster-gpu0: open: No such file or directory (is the cluster up?)");
  EXPECT_EQ(entry.failure_message("setns", EPERM), "cannot enter /run/netns/sl-no-such-cluster-gpu0: setns: Operation not permitted (needs root)");
}

TEST(NamespaceEntry, AMissingHostsFileIsNamedWithTheFix) {
  NamespaceEntry entry("sl-tiny-gpu0", {"gpu0", "/run/scalelab/tiny/hosts"});
  EXPECT_EQ(entry.identity().hostname, "gpu0");
  EXPECT_EQ(entry.failure_message(NamespaceEntry::kBindHostsStep, ENOENT),
            "cannot enter /run/netns/sl-tiny-gpu0: bind-mount the cluster's hosts file over /etc/hosts (/run/scalelab/tiny/hosts): "
            "No such file or directory (the cluster has no hosts file: it was brought up by an older scalelab; `scalelab down` and `up` it again)");
}
