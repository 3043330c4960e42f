#include "emulator/vm/apt.h"

#include <algorithm>
#include <sstream>

namespace scalelab::vm {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_security_suite(std::string_view suite) {
  return suite.find("-security") != std::string_view::npos || suite.find('/') != std::string_view::npos;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

// Parses deb822 paragraphs, ignoring '#' comment lines (allowed in .sources files).
std::vector<Stanza> parse_paragraphs(std::string_view text, bool comments) {
  std::vector<Stanza> out;
  Stanza cur;
  std::string last;
  for (auto line : lines(text)) {
    if (comments && !line.empty() && line.front() == '#') continue;
    if (trim(line).empty()) {
      if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
      last.clear();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!last.empty()) {
        auto& v = cur[last];
        v += '\n';
        v += trim(line);
      }
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    last = std::string(trim(line.substr(0, colon)));
    cur[last] = std::string(trim(line.substr(colon + 1)));
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::optional<MirrorSource> mirror_from_deb822(std::string_view text) {
  for (const auto& s : parse_paragraphs(text, true)) {
    auto enabled = field(s, "Enabled");
    if (enabled == "no" || enabled == "false") continue;
    auto types = words(field(s, "Types"));
    if (std::find(types.begin(), types.end(), "deb") == types.end()) continue;
    auto suites = words(field(s, "Suites"));
    if (std::none_of(suites.begin(), suites.end(), [](const std::string& x) { return !is_security_suite(x); })) continue;
    auto uris = words(field(s, "URIs"));
    if (uris.empty()) continue;
    MirrorSource m{uris.front(), ""};
    auto key = field(s, "Signed-By");
    // An inline key block cannot be named on a one-line entry; apt's trusted keys serve then.
    if (!key.empty() && key.find('\n') == std::string::npos && key.front() == '/') m.signed_by = words(key).front();
    while (!m.uri.empty() && m.uri.back() == '/') m.uri.pop_back();
    return m;
  }
  return std::nullopt;
}

std::optional<MirrorSource> mirror_from_one_line(std::string_view text) {
  for (auto raw : lines(text)) {
    auto line = trim(raw);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = trim(line.substr(0, hash));
    if (!starts_with(line, "deb ") && !starts_with(line, "deb\t")) continue;
    line = trim(line.substr(3));
    MirrorSource m;
    if (!line.empty() && line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) continue;
      for (const auto& opt : words(line.substr(1, close - 1)))
        if (starts_with(opt, "signed-by=")) m.signed_by = opt.substr(10);
      line = trim(line.substr(close + 1));
    }
    auto w = words(line);
    if (w.size() < 2 || is_security_suite(w[1])) continue;
    m.uri = w[0];
    while (!m.uri.empty() && m.uri.back() == '/') m.uri.pop_back();
    if (!m.signed_by.empty() && m.signed_by.front() != '/') m.signed_by.clear();
    return m;
  }
  return std::nullopt;
}

const std::vector<std::string>& default_suites() {
  static const std::vector<std::string> suites{"trixie-backports", "forky", "sid"};
  return suites;
}

std::string make_sources_list(const MirrorSource& mirror, const std::vector<std::string>& suites) {
  std::ostringstream out;
  out << "# Written by scalelab vm: where it looks for a capable kernel. Regenerated on every resolve.\n";
  for (const auto& suite : suites) {
    out << "deb ";
    if (!mirror.signed_by.empty()) out << "[signed-by=" << mirror.signed_by << "] ";
    out << mirror.uri << ' ' << suite << " main\n";
  }
  return out.str();
}

std::vector<Stanza> parse_stanzas(std::string_view text) { return parse_paragraphs(text, false); }

std::string field(const Stanza& s, std::string_view name) {
  auto it = s.find(name);
  return it == s.end() ? std::string() : it->second;
}

std::vector<std::string> dependency_names(std::string_view depends) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < depends.size()) {
    size_t end = depends.find_first_of(",|", i);
    if (end == std::string_view::npos) end = depends.size();
    auto item = trim(depends.substr(i, end - i));
    auto name_end = item.find_first_of(" (:[<\t\n");
    auto name = item.substr(0, name_end);
    if (!name.empty()) out.emplace_back(name);
    i = end + 1;
  }
  return out;
}

std::vector<PolicyVersion> parse_policy(std::string_view text, std::string_view package) {
  std::vector<PolicyVersion> out;
  bool in_package = false, in_table = false;
  for (auto line : lines(text)) {
    if (line.empty()) continue;
    if (line.front() != ' ') {  // "pkg:" starts a package's section
      in_package = trim(line) == std::string(package) + ":";
      in_table = false;
      continue;
    }
    if (!in_package) continue;
    auto t = trim(line);
    if (starts_with(t, "Version table:")) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (starts_with(t, "***")) t = trim(t.substr(3));
    auto w = words(t);
    if (w.empty()) continue;
    // A version line is "VERSION PRIORITY"; a source line is "PRIORITY URI SUITE/COMP ARCH Packages".
    bool source_line = w.size() >= 2 && std::all_of(w[0].begin(), w[0].end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); }) &&
                       (w[1].find("://") != std::string::npos || w[1].front() == '/');
    if (!source_line) {
      out.push_back({w[0], {}});
      continue;
    }
    if (out.empty()) continue;
    if (w[1].front() == '/') {
      out.back().suites.push_back("installed");
    } else if (w.size() >= 3) {
      auto suite = w[2].substr(0, w[2].find('/'));
      out.back().suites.push_back(suite);
    }
  }
  return out;
}

std::optional<KernelPackageSet> kernel_packages_from_image(const Stanza& image) {
  auto name = field(image, "Package");
  const std::string prefix = "linux-image-";
  if (!starts_with(name, prefix)) return std::nullopt;
  KernelPackageSet set;
  set.image = name;
  set.abi = name.substr(prefix.size());
  if (ends_with(set.abi, "-unsigned")) set.abi.resize(set.abi.size() - 9);
  auto deps = dependency_names(field(image, "Depends"));
  auto has = [&](const std::string& n) { return std::find(deps.begin(), deps.end(), n) != deps.end(); };
  const std::string binary = "linux-binary-" + set.abi, modules = "linux-modules-" + set.abi, base = "linux-base-" + set.abi;
  if (has(binary)) {
    set.split_layout = true;
    set.packages.push_back(binary);
    if (has(modules)) set.packages.push_back(modules);
    if (has(base)) set.packages.push_back(base);
  } else {
    set.packages.push_back(name);
  }
  return set;
}

std::optional<std::string> image_from_metapackage(const Stanza& meta) {
  for (const auto& d : dependency_names(field(meta, "Depends")))
    if (starts_with(d, "linux-image-") && d != "linux-image-amd64") return d;
  return std::nullopt;
}

std::vector<std::string> generic_image_names(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!starts_with(n, "linux-image-") || !ends_with(n, "-amd64")) continue;
    if (ends_with(n, "-cloud-amd64") || ends_with(n, "-rt-amd64")) continue;
    out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace scalelab::vm
