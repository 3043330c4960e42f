"""deploy/kubernetes: every manifest parses and says what the README promises, the machines file
passes scalelab's own parser, and every scalelab verb the pods run exists in the built binary.
Debian 12 has no kubeconform and no Kubernetes schema package, so this is a parse test plus
scalelab's checks, not a schema check (the README says so)."""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

import yaml

SOURCE, SCALELAB = sys.argv[1], sys.argv[2]
DEPLOY = os.path.join(SOURCE, "deploy", "kubernetes")


def documents(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def one(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def scalelab_lines(script):
    """The scalelab command lines of a container's shell script, as argv lists."""
    out = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("trap "):
            line = shlex.split(line)[1]
        if line.startswith("scalelab "):
            out.append(shlex.split(line))
    return out


class Manifests(unittest.TestCase):
    def setUp(self):
        self.daemonset_docs = documents("machines-daemonset.yaml")
        self.job_docs = documents("operator-job.yaml")

    def test_every_document_has_its_kind_version_and_name(self):
        for docs in (self.daemonset_docs, self.job_docs):
            for d in docs:
                self.assertIn(d.get("kind"), {"Namespace", "DaemonSet", "ConfigMap", "Job"})
                self.assertRegex(d.get("apiVersion", ""), r"^(v1|apps/v1|batch/v1)$")
                self.assertTrue(d["metadata"]["name"])
                if d["kind"] != "Namespace":
                    self.assertEqual(d["metadata"]["namespace"], "scalelab", d["kind"])

    def test_machines_are_privileged_on_the_host_network_with_the_node_state_mounted(self):
        ds = one(self.daemonset_docs, "DaemonSet")
        spec = ds["spec"]["template"]["spec"]
        self.assertEqual(ds["spec"]["selector"]["matchLabels"], ds["spec"]["template"]["metadata"]["labels"])
        self.assertTrue(spec["hostNetwork"], "the node's network is the underlay")
        (c,) = spec["containers"]
        self.assertTrue(c["securityContext"]["privileged"])
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        self.assertEqual(mounts["/run/netns"].get("mountPropagation"), "Bidirectional",
                         "named namespaces made in the pod must be the node's")
        self.assertIn("/run/scalelab", mounts)
        volumes = {v["name"]: v for v in spec["volumes"]}
        for path in ("/run/netns", "/run/scalelab"):
            self.assertEqual(volumes[mounts[path]["name"]]["hostPath"]["path"], path)
        self.assertEqual(c["lifecycle"]["preStop"]["exec"]["command"], ["scalelab", "clean"])

    def test_the_ssh_port_of_the_machines_is_the_one_the_operator_uses(self):
        ds = one(self.daemonset_docs, "DaemonSet")
        (c,) = ds["spec"]["template"]["spec"]["containers"]
        port = re.search(r"sshd -D -e -p (\d+)", c["args"][0]).group(1)
        self.assertEqual(str(c["ports"][0]["containerPort"]), port)
        machines = json.loads(one(self.job_docs, "ConfigMap")["data"]["machines.json"])
        options = machines["ssh_options"]
        self.assertEqual(options[options.index("-p") + 1], port)
        key = options[options.index("-i") + 1]
        job = one(self.job_docs, "Job")
        (oc,) = job["spec"]["template"]["spec"]["containers"]
        mounted = [m["mountPath"] for m in oc["volumeMounts"]]
        self.assertTrue(any(key.startswith(m + "/") for m in mounted), f"{key} is not in a mounted volume")

    def test_the_machines_file_passes_scalelabs_own_parser(self):
        text = one(self.job_docs, "ConfigMap")["data"]["machines.json"]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(text)
        try:
            r = subprocess.run([SCALELAB, "plan", os.path.join(SOURCE, "topologies", "tiny.json"), "--machines", f.name],
                               capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("across 2 machines", r.stdout)

    def test_every_scalelab_verb_the_pods_run_exists(self):
        ds = one(self.daemonset_docs, "DaemonSet")
        job = one(self.job_docs, "Job")
        (mc,) = ds["spec"]["template"]["spec"]["containers"]
        (oc,) = job["spec"]["template"]["spec"]["containers"]
        lines = scalelab_lines(mc["args"][0]) + scalelab_lines(oc["args"][0]) + [mc["lifecycle"]["preStop"]["exec"]["command"]]
        verbs = {argv[1] for argv in lines}
        self.assertTrue({"up", "status", "bench", "down", "clean", "doctor"} <= verbs, verbs)
        for verb in sorted(verbs):
            r = subprocess.run([SCALELAB, verb, "--help"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, f"scalelab {verb}: {r.stdout}{r.stderr}")
        for argv in lines:
            for flag in (a for a in argv if a.startswith("--")):
                r = subprocess.run([SCALELAB, argv[1], "--help"], capture_output=True, text=True)
                self.assertIn(flag, r.stdout, f"scalelab {argv[1]} has no {flag}")
        self.assertTrue(os.path.exists(os.path.join(SOURCE, "topologies", "tiny.json")),
                        "the Job's topology is the package's copy of topologies/tiny.json")

    def test_the_job_takes_the_cluster_down_whatever_happens(self):
        (oc,) = one(self.job_docs, "Job")["spec"]["template"]["spec"]["containers"]
        script = oc["args"][0]
        self.assertRegex(script, r"trap 'scalelab down \"\$CLUSTER\"' EXIT")
        self.assertLess(script.index("trap "), script.index("scalelab up "), "the trap must be set before up")
        subprocess.run(["bash", "-n", "-c", script], check=True)

    def test_the_readme_says_what_was_and_was_not_tested(self):
        with open(os.path.join(DEPLOY, "README.md")) as f:
            text = f.read()
        self.assertIn("Not tested on a real Kubernetes", text)
        self.assertIn("YAML parse test", text)
        with open(os.path.join(DEPLOY, "Dockerfile")) as f:
            self.assertTrue(f.readline().startswith("#"))
            self.assertIn("FROM debian:12", f.read())


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
