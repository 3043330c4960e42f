#include "emulator/job/selectors.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

namespace scalelab::job {
namespace {

int index_in(const std::string& text, const std::string& selector, int count, const char* what) {
  std::size_t pos = 0;
  int v = -1;
  try {
    v = std::stoi(text, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != text.size() || v < 0 || v >= count)
    throw SelectorError(fmt::format("\"{}\": {} must be 0..{} in this job", selector, what, count - 1));
  return v;
}

}  // namespace

std::optional<std::vector<int>> job_ranks(const JobSpec& spec, const Layout& layout, const std::string& selector) {
  std::vector<std::string> parts;
  std::stringstream ss(selector);
  for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
  if (parts.empty()) return std::nullopt;
  std::vector<int> out;
  if (parts[0] == "group") {
    if (parts.size() != 3) throw SelectorError(fmt::format("\"{}\": expected group:KIND:INDEX, e.g. group:dp:0", selector));
    for (GroupKind k : kGroupKinds) {
      if (parts[1] != group_kind_name(k)) continue;
      int count = 0;
      for (const auto& g : layout.groups) count += g.kind == k;
      const int index = index_in(parts[2], selector, count, "the group index");
      for (const auto& g : layout.groups)
        if (g.kind == k && g.index == index) out = g.members;
      return out;
    }
    throw SelectorError(fmt::format("\"{}\": unknown group kind \"{}\" (tp, pp, dp or ep)", selector, parts[1]));
  }
  if (parts[0] == "stage" || parts[0] == "expert") {
    if (parts.size() != 2) throw SelectorError(fmt::format("\"{}\": expected {}:INDEX", selector, parts[0]));
    const bool stage = parts[0] == "stage";
    if (!stage && !spec.moe) throw SelectorError(fmt::format("\"{}\": job {} has no experts (no \"moe\")", selector, spec.name));
    const int count = stage ? layout.size(GroupKind::pp) : layout.size(GroupKind::ep) * spec.moe->experts_per_rank;
    const int index = index_in(parts[1], selector, count, stage ? "the pipeline stage" : "the expert");
    const GroupKind k = stage ? GroupKind::pp : GroupKind::ep;
    const int position = stage ? index : index / spec.moe->experts_per_rank;
    for (int r = 0; r < layout.world; ++r)
      if (layout.group_rank(k, r) == position) out.push_back(r);
    return out;
  }
  return std::nullopt;
}

}  // namespace scalelab::job
