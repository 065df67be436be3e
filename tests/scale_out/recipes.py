#!/usr/bin/env python3
"""The scale-out recipes (scale-out/, docs/scale-out.md), run on this machine with their shards
as processes: GNU parallel's script as it is; the Kubernetes Indexed Job's pod script once per
completion index; the Slurm array's script once per task; the GitHub Actions matrix's sweep
step once per shard. Each ends in its own merge, which must print, write and exit exactly as
one local sweep of the same seeds does (times aside).

Usage: recipes.py KAFKASIM SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

KAFKASIM, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SCENARIO, SEEDS = "tests/scale_out/dice.lua", "1..24"
problems = []


def run(cmd, cwd, env=None, shell=False):
    e = dict(os.environ, PATH=cwd + os.pathsep + os.environ["PATH"], SCENARIO=SCENARIO, SEEDS=SEEDS)
    e.update(env or {})
    return subprocess.run(cmd, cwd=cwd, env=e, shell=shell, capture_output=True, text=True, timeout=600,
                          executable="/bin/bash" if shell else None)


def without_times(xml):
    return re.sub(r' time="[^"]*"', "", xml)


def comparable(path):
    with open(path) as f:
        j = json.load(f)
    j.pop("wall_seconds", None)
    for r in j["runs"]:
        r.pop("seconds", None)
    return j


def workdir(name):
    """A checkout as the recipes expect one: kafkasim on the PATH, scenarios/ and tests/."""
    d = os.path.join(TMP, name)
    os.makedirs(os.path.join(d, "results"))
    os.symlink(KAFKASIM, os.path.join(d, "kafkasim"))
    for sub in ("scenarios", "tests", "scale-out", "scripts"):
        os.symlink(os.path.join(SOURCE, sub), os.path.join(d, sub))
    return d


def compare(name, merged, results_dir):
    """The recipe's merge against the local sweep."""
    if merged.returncode != REF.returncode:
        problems.append(f"{name}: merge exited {merged.returncode}, the local sweep {REF.returncode}: {merged.stderr.strip()}")
    if merged.stdout != REF.stdout:
        problems.append(f"{name}: merge printed\n{merged.stdout}\nbut the local sweep\n{REF.stdout}")
    try:
        with open(os.path.join(results_dir, "junit.xml")) as f:
            if without_times(f.read()) != REF_JUNIT:
                problems.append(f"{name}: its JUnit differs from the local sweep's")
        if comparable(os.path.join(results_dir, "merged.json")) != REF_JSON:
            problems.append(f"{name}: its merged result differs from the local sweep's")
    except OSError as e:
        problems.append(f"{name}: {e}")


def gnu_parallel():
    d = workdir("parallel")
    merged = run(["scale-out/parallel.sh", SCENARIO, SEEDS, "4", "out"], d, {"KAFKASIM": "kafkasim"})
    compare("GNU parallel", merged, os.path.join(d, "out"))


def kubernetes():
    d = workdir("kubernetes")
    with open(os.path.join(SOURCE, "scale-out/kubernetes/sweep-job.yaml")) as f:
        job = yaml.safe_load(f)
    spec = job["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    n = spec["completions"]
    checks = [(job["kind"], "Job"), (spec["completionMode"], "Indexed"), (int(env["SHARDS"]), n), (pod["restartPolicy"], "Never"),
              (container["volumeMounts"][0]["mountPath"], "/results")]
    for got, want in checks:
        if got != want:
            problems.append(f"kubernetes: sweep-job.yaml has {got!r} where {want!r} belongs")
    results = os.path.join(d, "results")
    script = container["args"][0].replace("/results", results)
    for index in range(n):
        r = run(container["command"] + [script], d, {"JOB_COMPLETION_INDEX": str(index), "SHARDS": env["SHARDS"]})
        if r.returncode != 0:
            problems.append(f"kubernetes: the pod of index {index} failed ({r.returncode}): {r.stderr.strip()}")
    with open(os.path.join(SOURCE, "scale-out/kubernetes/merge-job.yaml")) as f:
        merge = yaml.safe_load(f)["spec"]["template"]["spec"]["containers"][0]
    compare("kubernetes", run(merge["command"] + [merge["args"][0].replace("/results", results)], d), results)


def slurm():
    d = workdir("slurm")
    with open(os.path.join(SOURCE, "scale-out/slurm/sweep.sbatch")) as f:
        text = f.read()
    first, last = map(int, re.search(r"^#SBATCH --array=(\d+)-(\d+)$", text, re.M).groups())
    cpus = re.search(r"^#SBATCH --cpus-per-task=(\d+)$", text, re.M).group(1)
    for task in range(first, last + 1):
        r = run(["bash", "scale-out/slurm/sweep.sbatch"], d,
                {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_COUNT": str(last - first + 1), "SLURM_CPUS_PER_TASK": cpus})
        if r.returncode != 0:
            problems.append(f"slurm: task {task} failed ({r.returncode}): {r.stderr.strip()}")
    compare("slurm", run(["bash", "scale-out/slurm/merge.sbatch"], d), os.path.join(d, "results"))


def github_actions():
    d = workdir("github")
    with open(os.path.join(SOURCE, "scale-out/github/sweep.yml")) as f:
        wf = yaml.safe_load(f)
    jobs = wf["jobs"]
    if jobs["shard"]["needs"] != "build" or jobs["merge"]["needs"] != "shard":
        problems.append("github: the jobs do not run build, then the shards, then the merge")
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    if shards != list(range(1, len(shards) + 1)):
        problems.append(f"github: the matrix's shards are {shards}, not 1..N")
    step = lambda job, name: next(s["run"] for s in jobs[job]["steps"] if s.get("name") == name)
    # The machine's own setup is this one's: scripts/setup is not run again.
    local = lambda script: script.replace("scripts/setup --build-only", "true")
    for k in shards:
        script = local(step("shard", "sweep")).replace("${{ matrix.shard }}", str(k)).replace("${{ strategy.job-total }}", str(len(shards)))
        r = run("set -e\n" + script, d, shell=True)
        if r.returncode != 0:
            problems.append(f"github: shard {k} failed ({r.returncode}): {r.stderr.strip()}")
    compare("github", run("set -e\n" + local(step("merge", "merge")), d, shell=True), os.path.join(d, "results"))


TMP = tempfile.mkdtemp(prefix="kafkasim-recipes-")
try:
    ref_dir = workdir("local")
    REF = run(["kafkasim", "sweep", SCENARIO, "--seeds", SEEDS, "-j", "2", "--junit", "results/junit.xml",
               "--json", "results/merged.json"], ref_dir)
    if REF.returncode != 1 or "FAIL  seed" not in REF.stdout:
        sys.exit(f"the local sweep should fail on some seeds: exit {REF.returncode}\n{REF.stdout}{REF.stderr}")
    with open(os.path.join(ref_dir, "results/junit.xml")) as f:
        REF_JUNIT = without_times(f.read())
    REF_JSON = comparable(os.path.join(ref_dir, "results/merged.json"))
    recipes = [gnu_parallel, kubernetes, slurm, github_actions]
    if shutil.which("parallel") is None:
        problems.append("GNU parallel is not installed (scripts/setup installs it)")
        recipes.remove(gnu_parallel)
    for recipe in recipes:
        recipe()
finally:
    shutil.rmtree(TMP, ignore_errors=True)

for p in problems:
    print("FAIL " + p)
print(f"recipes: {len(problems)} problems")
sys.exit(1 if problems else 0)
