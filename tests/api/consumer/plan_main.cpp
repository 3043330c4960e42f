// Plans a topology through the installed library: no root, nothing touched. Exits non-zero when
// the plan is not what tiny.json describes, or a bad name is not refused as a TopologyError.
#include <scalelab/scalelab.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto p = scalelab::plan_topology(argv[1], "ap-consumer");
  std::cout << p.cluster << ": " << p.gpus << " GPUs, " << p.namespaces << " namespaces, " << p.links << " links\n";
  try {
    scalelab::plan_topology(argv[1], "Not A Name");
    return 1;
  } catch (const scalelab::TopologyError& e) {
    std::cout << "refused: " << e.what() << "\n";
    if (e.json_pointer() != "/name") return 1;
  }
  return p.cluster == "ap-consumer" && p.gpus == 4 && p.namespaces == 9 ? 0 : 1;
}
