"""A recorded Kubernetes API for the pod-per-run tests: the real `kubernetes` client with its HTTP transport
replaced by this one, which records every request and answers as the API server, the Job controller and a
kubelet would for the calls the launcher makes. No cluster runs here, so the "pod" of a Job is a real
process started from the Job's container (the image's entrypoint, `controlroom`, with the container's
args), with exactly the container's environment: plain values and the run Secret's keys by secretKeyRef.
Nothing of the test's own environment reaches it but PATH and PYTHONPATH (the image's installation).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

IMAGE_ENTRYPOINT = [sys.executable, "-m", "controlroom.cli"]
_JOBS = re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/jobs(?:/([^/]+))?$")
_SECRETS = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets$")
_PODS = re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")
_LOG = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")


class Recorded:
    """urllib3-like response for the client's deserializer."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self.status = status
        self.reason = {200: "OK", 201: "Created", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}.get(
            status, "Unprocessable Entity" if status == 422 else "Error"
        )
        self.data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.content_type = content_type

    def getheaders(self) -> dict[str, str]:
        return {"content-type": self.content_type}

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.getheaders().get(name.lower(), default)

    def read(self) -> bytes:
        return self.data


def refusal(status: int, message: str) -> ApiException:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": status}
    return ApiException(http_resp=Recorded(status, body))


@dataclass
class FakeJob:
    body: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    deadline_exceeded: bool = False
    pod: str = ""

    @property
    def container(self) -> dict[str, Any]:
        result: dict[str, Any] = self.body["spec"]["template"]["spec"]["containers"][0]
        return result


class FakeKubernetes:
    """One namespace's API server, Job controller and kubelet. `refuse_jobs` / `refuse_secrets`: the status
    (403, 409, 422) with which creating a Job / a Secret is refused. `start_delay`: how long a pod takes to
    start (an image pull). `enforce_deadlines`: whether the Job controller applies activeDeadlineSeconds."""

    def __init__(
        self,
        *,
        refuse_jobs: int | None = None,
        refuse_secrets: int | None = None,
        start_delay: float = 0.0,
        enforce_deadlines: bool = True,
        entrypoint: list[str] | None = None,
    ) -> None:
        self.refuse_jobs = refuse_jobs
        self.refuse_secrets = refuse_secrets
        self.start_delay = start_delay
        self.enforce_deadlines = enforce_deadlines
        self.entrypoint = entrypoint or IMAGE_ENTRYPOINT
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.jobs: dict[str, FakeJob] = {}
        self.deleted: dict[str, FakeJob] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._dir = Path(tempfile.mkdtemp(prefix="fake-kube-"))

    def client(self) -> k8s.ApiClient:
        api = k8s.ApiClient(k8s.Configuration(host="https://k8s.invalid"))
        api.rest_client = self
        return api

    # -- the client's rest_client interface ------------------------------------------------------
    def GET(self, url: str, query_params: Any = None, **_: Any) -> Recorded:
        return self.request("GET", url, query_params=query_params)

    def POST(self, url: str, query_params: Any = None, body: Any = None, **_: Any) -> Recorded:
        return self.request("POST", url, query_params=query_params, body=body)

    def DELETE(self, url: str, query_params: Any = None, body: Any = None, **_: Any) -> Recorded:
        return self.request("DELETE", url, query_params=query_params, body=body)

    def request(self, method: str, url: str, query_params: Any = None, body: Any = None, **_: Any) -> Recorded:
        path = urlparse(url).path
        query = dict(query_params or [])
        with self._lock:
            self.requests.append((method, path, query, body))
            if (m := _JOBS.match(path)) and method == "POST" and m.group(2) is None:
                return self._create_job(body)
            if (m := _JOBS.match(path)) and m.group(2) is not None:
                job = self.jobs.get(m.group(2))
                if job is None:
                    raise refusal(404, f'jobs.batch "{m.group(2)}" not found')
                if method == "GET":
                    return Recorded(200, self._job_view(job))
                if method == "DELETE":
                    return self._delete_job(m.group(2), job)
            if _SECRETS.match(path) and method == "POST":
                return self._create_secret(body)
            if _PODS.match(path) and method == "GET":
                return Recorded(200, self._pods(query.get("labelSelector", "")))
            if (m := _LOG.match(path)) and method == "GET":
                return self._log(m.group(2))
        raise AssertionError(f"the launcher called {method} {path}, which this recorded API does not know")

    # -- API server ------------------------------------------------------------------------------
    def _create_job(self, body: dict[str, Any]) -> Recorded:
        if self.refuse_jobs is not None:
            raise refusal(self.refuse_jobs, f"refused by the recorded API with {self.refuse_jobs}")
        name = body["metadata"]["name"]
        if name in self.jobs:
            raise refusal(409, f'jobs.batch "{name}" already exists')
        answer = json.loads(json.dumps(body))
        answer["metadata"] |= {"uid": f"uid-{name}", "resourceVersion": "1", "namespace": "controlroom-runs"}
        self.jobs[name] = FakeJob(answer, pod=f"{name}-x7k2p")
        return Recorded(201, answer)

    def _create_secret(self, body: dict[str, Any]) -> Recorded:
        if self.refuse_secrets is not None:
            raise refusal(self.refuse_secrets, f"refused by the recorded API with {self.refuse_secrets}")
        name = body["metadata"]["name"]
        self.secrets[name] = body
        job = self.jobs.get(name)
        if job is not None:  # the kubelet starts the pod once its secretKeyRefs resolve
            timer = threading.Timer(self.start_delay, self._start, args=(name,))
            timer.daemon = True
            timer.start()
        return Recorded(201, body)

    def _delete_job(self, name: str, job: FakeJob) -> Recorded:
        # Foreground: the answer comes once the pod is gone (SIGTERM, its grace, then SIGKILL).
        self._stop(job)
        del self.jobs[name]
        self.deleted[name] = job
        self.secrets.pop(name, None)  # owned by the Job
        return Recorded(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})

    # -- Job controller --------------------------------------------------------------------------
    def _job_view(self, job: FakeJob) -> dict[str, Any]:
        deadline = job.body["spec"].get("activeDeadlineSeconds")
        finished = job.process is not None and job.process.poll() is not None
        overdue = deadline is not None and time.monotonic() - job.created > deadline
        if self.enforce_deadlines and overdue and not finished and not job.deadline_exceeded:
            self._stop(job)
            job.deadline_exceeded = True
        status: dict[str, Any] = {}
        if job.deadline_exceeded:
            status = {"failed": 1, "conditions": [_condition("Failed", "DeadlineExceeded")]}
        elif finished and job.process is not None and job.process.returncode == 0:
            status = {"succeeded": 1, "conditions": [_condition("Complete", "CompletionsReached")]}
        elif finished:
            status = {"failed": 1, "conditions": [_condition("Failed", "BackoffLimitExceeded")]}
        else:
            status = {"active": 1}
        return {**job.body, "status": status}

    # -- kubelet ---------------------------------------------------------------------------------
    def _start(self, name: str) -> None:
        with self._lock:
            job = self.jobs.get(name)
            if job is None or job.process is not None or job.deadline_exceeded:
                return
            container = job.container
            secret = self.secrets[name].get("stringData", {})
            env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
            tmp = self._dir / name
            tmp.mkdir()
            env |= {"HOME": str(tmp), "TMPDIR": str(tmp)}
            for item in container.get("env", []):
                if "value" in item:
                    env[item["name"]] = item["value"]
                else:
                    ref = item["valueFrom"]["secretKeyRef"]
                    assert ref["name"] == name, "a run's pod reads only its own Secret"
                    env[item["name"]] = secret[ref["key"]]
            job.log = self._dir / f"{name}.log"
            with job.log.open("wb") as out:
                job.process = subprocess.Popen(
                    [*self.entrypoint, *container.get("args", [])],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

    def _stop(self, job: FakeJob) -> None:
        process = job.process
        if process is None or process.poll() is not None:
            return
        grace = job.body["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _pods(self, selector: str) -> dict[str, Any]:
        name = selector.removeprefix("job-name=")
        job = self.jobs.get(name)
        items = []
        if job is not None and job.process is not None:
            code = job.process.poll()
            state: dict[str, Any] = {"running": {}}
            if code is not None:
                reason = "Completed" if code == 0 else "Error"
                state = {"terminated": {"exitCode": code if code >= 0 else 128 - code, "reason": reason}}
            items.append(
                {
                    "metadata": {"name": job.pod, "labels": {"job-name": name}},
                    "status": {
                        "containerStatuses": [
                            {
                                "name": "run",
                                "image": job.container["image"],
                                "imageID": job.container["image"],
                                "ready": code is None,
                                "restartCount": 0,
                                "state": state,
                            }
                        ]
                    },
                }
            )
        return {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items}

    def _log(self, pod: str) -> Recorded:
        for job in self.jobs.values():
            if job.pod == pod and job.log is not None:
                return Recorded(200, job.log.read_bytes(), content_type="text/plain")
        raise refusal(404, f'pods "{pod}" not found')

    # -- for the tests ---------------------------------------------------------------------------
    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request, names of objects replaced by {name}."""
        out = []
        for method, path, _, _ in self.requests:
            path = re.sub(r"/jobs/[^/]+$", "/jobs/{name}", path)
            path = re.sub(r"/pods/[^/]+/log$", "/pods/{name}/log", path)
            out.append((method, path))
        return out

    def job_of(self, run_id: str) -> FakeJob:
        found = [j for j in [*self.jobs.values(), *self.deleted.values()] if run_id in json.dumps(j.body)]
        assert len(found) == 1, f"{len(found)} jobs for run {run_id}"
        return found[0]

    def close(self) -> None:
        with self._lock:
            for job in [*self.jobs.values(), *self.deleted.values()]:
                if job.process is not None and job.process.poll() is None:
                    os.killpg(job.process.pid, signal.SIGKILL)
                    job.process.wait()


def _condition(type_: str, reason: str) -> dict[str, str]:
    return {"type": type_, "status": "True", "reason": reason}
