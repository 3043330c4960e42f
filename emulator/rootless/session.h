#pragma once
// Rootless clusters. Every namespace of a rootless cluster hangs off one user namespace owned
// by the caller, kept alive by a small holder process together with a mount namespace in which
// the named network namespaces are bind-mounted, and a network namespace of the session's own
// (the orchestrator's threads step into nodes' namespaces and must be allowed back). A rootless
// command joins all three (setns), and is then root over that user namespace's objects only: it
// can build veths, qdiscs and routes in its own network namespaces, and nothing on the host.
//
// Everything lives under one directory the caller owns (locations::default_rootless_base()):
//   holder.json  the holder's pid, start time and user-namespace inode (a reused pid is not it)
//   holder.lock  shared while a command works in the session, exclusive to start or end it
//   netns/       the named network namespaces (mount points, visible inside the session only)
//   clusters/    the clusters' records, as /run/scalelab holds them for root
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace scalelab::rootless {

struct Holder {
  int pid = 0;
  unsigned long long start_time = 0;    // /proc/<pid>/stat field 22
  unsigned long long userns_inode = 0;  // /proc/<pid>/ns/user
};

class RootlessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Session {
 public:
  // Creates `base` (mode 0700) when missing; refuses one another user owns.
  explicit Session(std::string base);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  const std::string& base() const { return base_; }
  std::optional<Holder> live_holder() const;

  // The live holder, or a new one. A holder that died took its mount namespace, and so every
  // cluster of it, along: what they left (processes, records, mount points) is removed first,
  // and said in `notes`.
  Holder ensure_holder(std::vector<std::string>* notes);
  // Removes a dead holder's leftovers, if there is a dead holder; no-op otherwise.
  void reap_dead_holder(std::vector<std::string>* notes);

  // Moves this process into the holder's user, mount and network namespaces, keeping the working
  // directory. The kernel lets only a single-threaded process join a user namespace.
  void join(const Holder& holder);

  // Ends the holder when no cluster is left and no other command works in the session.
  bool release_if_idle();
  // Ends the holder and every process still in its user namespace (for `clean`).
  std::vector<int> end(const Holder& holder);

 private:
  void lock(int how);
  std::string base_;
  int lock_fd_ = -1;
};

// Pids of the processes in the user namespace with this inode (the caller's own only: the
// kernel hides other users' namespace links).
std::vector<int> processes_in_user_namespace(unsigned long long userns_inode);
unsigned long long process_start_time(int pid);  // 0 when there is no such process

}  // namespace scalelab::rootless
