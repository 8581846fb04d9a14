"""Fuzzes a running Switchboard with schemathesis, one official ACS OpenAPI spec at a time (see fuzz/README.md).

scripts/fuzz starts the server and calls this; it can also be pointed at a server you started yourself:

    .venv-fuzz/bin/python fuzz/run.py --data-dir DIR   # DIR holds connection-string and ca.pem, as `serve` writes them

For each service of fuzz/services it prepares the spec (fuzz/specs.py), runs `schemathesis run` with the hooks of
fuzz/hooks.py (auth, fixtures, figures), and prints what was sent and what came back. The verdict fails on any
5xx response not listed in fuzz/known-5xx, on network errors (a crash or a dropped connection), on a schemathesis
error, or if the server stops answering; other failed checks (schema conformance and the like) are findings,
reported but not failing.
"""

import argparse
import collections
import datetime
import importlib.metadata
import json
import math
import os
import pathlib
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree

import requests

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import acs  # noqa: E402
import specs  # noqa: E402

SERVER_ERROR_CHECK = "not_a_server_error"
DEFAULT_CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def read_table(path, columns):
    """Whitespace-separated lines, `#` starts a comment; the last column takes the rest of the line."""
    rows = []
    for number, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, len(columns) - 1)
        if len(parts) < len(columns):
            raise SystemExit(f"{path}:{number}: expected {' '.join(columns)}")
        rows.append(dict(zip(columns, parts)))
    return rows


def arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="the server's data directory (connection-string, ca.pem)")
    parser.add_argument("--work-dir", help="where specs, logs and reports go (default: a new temporary directory)")
    parser.add_argument("--summary", help="JSON summary path (default: WORK_DIR/summary.json)")
    parser.add_argument("--services", help="comma-separated names from fuzz/services (default: all listed there)")
    parser.add_argument("--services-file", default=str(HERE / "services"))
    parser.add_argument("--known-5xx-file", default=str(HERE / "known-5xx"))
    parser.add_argument("--specs-dir", default=os.environ.get("SWITCHBOARD_SPECS_DIR"),
                        help="the saved ACS specs (default: shared/acs-specs next to the repository)")
    parser.add_argument("--max-examples", type=int,
                        help="examples per operation in the fuzzing phase (default: enough for --requests per service)")
    parser.add_argument("--requests", type=int, default=3000,
                        help="fuzzing-phase requests aimed at per service when --max-examples is not given "
                             "(default 3000; coverage and stateful phases add to it)")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--checks", default=DEFAULT_CHECKS,
                        help=f"schemathesis checks (default {DEFAULT_CHECKS}); {SERVER_ERROR_CHECK} is always run")
    parser.add_argument("--mode", default="all", choices=("positive", "negative", "all"))
    parser.add_argument("--workers", default="1",
                        help="schemathesis workers (default 1: with more, CPython 3.11's parser can fail in "
                             "hypothesis's threads, and the server shares the machine's cores anyway)")
    parser.add_argument("--seed", type=int, help="random seed (default: a new one, printed)")
    parser.add_argument("--request-timeout", type=float, default=10, help="seconds (default 10)")
    parser.add_argument("--server-pid", type=int, help="the server's process id, checked after each service")
    parser.add_argument("--max-time", type=int, help="time budget in seconds per service (schemathesis --max-time)")
    parser.add_argument("--verbose", action="store_true", help="show schemathesis's own output as it runs")
    return parser.parse_args()


def default_specs_dir():
    for candidate in (ROOT.parent / "shared" / "acs-specs", ROOT / "shared" / "acs-specs"):
        if candidate.is_dir():
            return str(candidate)
    raise SystemExit("cannot find the ACS specs: pass --specs-dir or set SWITCHBOARD_SPECS_DIR")


def healthy(server_url, ca, pid=None):
    if pid is not None:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
    try:
        return requests.get(f"{server_url}/-/healthz", verify=ca, timeout=10).status_code == 200
    except requests.RequestException:
        return False


def header_probes(server_url, ca, resource, wait=5):
    """Raw requests with a control character in a header value. Schemathesis sends one (a NUL) before every run and
    only shows a skipped probe when no answer comes; an answer (400) is expected, silence is a finding."""
    results = []
    url = urllib.parse.urlsplit(server_url)
    context = ssl.create_default_context(cafile=ca)
    for name, value in (("NUL", "\x00"), ("SOH", "\x01"), ("DEL", "\x7f")):
        request = (f"GET /{resource} HTTP/1.1\r\nHost: {url.netloc}\r\nX-Probe: a{value}b\r\n"
                   f"Connection: close\r\n\r\n").encode("latin-1")
        started = time.time()
        try:
            with socket.create_connection((url.hostname, url.port), timeout=wait) as raw:
                with context.wrap_socket(raw, server_hostname=url.hostname) as tls:
                    tls.settimeout(wait)
                    tls.sendall(request)
                    answer = tls.recv(200).split(b"\r\n", 1)[0].decode("latin-1")
                    outcome = answer or "connection closed without a response"
        except (socket.timeout, TimeoutError):
            outcome = f"no response in {wait} s (connection left open)"
        except OSError as error:
            outcome = f"{type(error).__name__}: {error}"
        results.append({"header": f"X-Probe: a<{name}>b", "outcome": outcome,
                        "answered": outcome.startswith("HTTP/"), "seconds": round(time.time() - started, 2)})
    return results


SECRETS = [(re.compile(r"Bearer [A-Za-z0-9._~+/=-]+"), "Bearer REDACTED-USER-TOKEN"),
           (re.compile(r"Signature=[A-Za-z0-9+/=]+"), "Signature=REDACTED")]


def redact_file(path):
    """Reports and logs are kept: they show the requests with a placeholder for the token and the signature."""
    if path.exists():
        text = path.read_text(errors="replace")
        for pattern, replacement in SECRETS:
            text = pattern.sub(replacement, text)
        path.write_text(text)


def junit_details(path):
    """Failure messages by operation from schemathesis's JUnit report: the first lines of each, for the summary."""
    details = collections.defaultdict(list)
    if not path or not os.path.exists(path):
        return details
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        details["(junit report)"].append(f"unreadable: {error}")
        return details
    for case in root.iter("testcase"):
        for failure in list(case.findall("failure")) + list(case.findall("error")):
            text = (failure.get("message") or "") + "\n" + (failure.text or "")
            details[case.get("name")].append(text.strip()[:3000])
    return details


def classify(report, junit):
    """Splits schemathesis's failure groups into server errors (failing) and findings (reported)."""
    server_errors, findings = [], []
    for group in report.get("failures", []):
        entry = {"check": group.get("type"), "code": group.get("code"), "title": group.get("title"),
                 "count": group.get("count"), "operations": group.get("operations")}
        entry["examples"] = [text for operation in group.get("operations") or []
                             for text in junit.get(operation, []) if group.get("code", "") in text][:3]
        (server_errors if group.get("code") == "ST101" else findings).append(entry)
    return server_errors, findings


def run_service(service, args, context_path, work, specs_dir, seed, known_path):
    name = service["name"]
    spec_source = os.path.join(specs_dir, service["spec"])
    spec_path = work / "specs" / f"{name}.json"
    info = specs.prepare(spec_source, service["apiVersion"], specs_dir, str(spec_path))
    max_examples = args.max_examples or max(50, math.ceil(args.requests / max(1, info["operations"])))
    stats_path = work / f"stats-{name}.json"
    report_json = work / "reports" / f"{name}.json"
    report_junit = work / "reports" / f"{name}.junit.xml"
    log_path = work / f"schemathesis-{name}.log"
    checks = args.checks if SERVER_ERROR_CHECK in args.checks.split(",") else f"{SERVER_ERROR_CHECK},{args.checks}"
    context = json.load(open(context_path))
    command = [
        str(pathlib.Path(sys.executable).parent / "schemathesis"), "run", str(spec_path),
        "--url", context["endpoint"],
        "--tls-verify", context["ca"],
        "--checks", checks,
        "--phases", args.phases,
        "--mode", args.mode,
        "--max-examples", str(max_examples),
        "--workers", str(args.workers),
        "--seed", str(seed),
        "--request-timeout", str(args.request_timeout),
        "--continue-on-failure",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--report", "json,junit",
        "--report-json-path", str(report_json),
        "--report-junit-path", str(report_junit),
        "--no-color",
    ]
    if args.max_time:
        command += ["--max-time", str(args.max_time)]
    env = dict(os.environ, PYTHONPATH=str(HERE), SCHEMATHESIS_HOOKS="hooks", FUZZ_CONTEXT=str(context_path),
               FUZZ_SERVICE=name, FUZZ_AUTH=service["auth"], FUZZ_STATS=str(stats_path), FUZZ_KNOWN_5XX=known_path)
    print(f"\n==> {name}: {service['spec']} (api-version {service['apiVersion']}, {service['auth']}), "
          f"{info['operations']} operations, max-examples {max_examples}", flush=True)
    started = time.time()
    with open(log_path, "w") as log:
        if args.verbose:
            process = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True)
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
            exit_code = process.wait()
        else:
            exit_code = subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    elapsed = time.time() - started
    for written in (log_path, report_junit):
        redact_file(written)
    # Schemathesis's cache of failing cases (requests with tokens), and each service should start without it.
    shutil.rmtree(work / ".schemathesis", ignore_errors=True)

    stats = json.load(open(stats_path)) if stats_path.exists() else {}
    report = json.load(open(report_json)) if report_json.exists() else {}
    server_error_groups, findings = classify(report, junit_details(str(report_junit)))
    statuses = {code: count for code, count in sorted((stats.get("statuses") or {}).items())}
    server_errors = sum(count for code, count in statuses.items() if code.startswith("5"))
    known = sum((stats.get("known5xx") or {}).values())
    errors = list(report.get("errors") or [])
    if not report:
        errors.append({"title": f"schemathesis wrote no report (exit code {exit_code}); see {log_path}", "count": 1})
    elif not report.get("complete"):
        errors.append({"title": f"schemathesis stopped early ({report.get('stop_reason')})", "count": 1})
    if not stats.get("requests"):
        errors.append({"title": f"no request was sent; see {log_path}", "count": 1})
    result = {
        "service": name,
        "spec": service["spec"],
        "apiVersion": service["apiVersion"],
        "auth": service["auth"],
        "operations": info["operations"],
        "maxExamples": max_examples,
        "seconds": round(elapsed, 1),
        "requests": stats.get("requests", 0),
        "statuses": statuses,
        "serverErrors": server_errors,
        "knownServerErrors": stats.get("known5xx") or {},
        "unexpectedServerErrors": server_errors - known,
        "networkErrors": stats.get("networkErrorCount", 0),
        "byOperation": stats.get("operations") or {},
        "serverErrorExamples": stats.get("serverErrors") or [],
        "networkErrorExamples": stats.get("networkErrors") or [],
        "failedChecks": server_error_groups,
        "findings": findings,
        "errors": errors,
        "fixtureErrors": stats.get("fixtureErrors") or [],
        "testCases": report.get("test_cases"),
        "schemathesisExitCode": exit_code,
        "log": str(log_path),
        "junit": str(report_junit),
    }
    result["ok"] = result["unexpectedServerErrors"] == 0 and result["networkErrors"] == 0 and not errors
    print_service(result)
    return result


def print_service(result):
    print(f"    requests: {result['requests']} in {result['seconds']:.0f} s")
    print("    statuses: " + (", ".join(f"{code}: {count}" for code, count in result["statuses"].items()) or "none"))
    known = result["knownServerErrors"]
    note = f" ({sum(known.values())} known: {', '.join(f'{k} x{v}' for k, v in known.items())})" if known else ""
    print(f"    5xx: {result['serverErrors']}{note}; unexpected 5xx: {result['unexpectedServerErrors']}; "
          f"network errors: {result['networkErrors']}")
    for example in result["serverErrorExamples"][:5]:
        if not example.get("known"):
            print(f"      {example['status']} {example['method']} {example['url']}\n        body: {str(example['body'])[:300]}")
    for example in result["networkErrorExamples"][:5]:
        print(f"      network error on {example['method']} {example['url']}\n        body: {str(example['body'])[:300]}")
    failed = [f"{group['title']} ({group['count']}) on {', '.join(group['operations'] or [])}"
              for group in result["failedChecks"]]
    print("    failed checks: " + ("; ".join(failed) if failed else "none"))
    if result["findings"]:
        print("    findings (not failing):")
        for group in result["findings"]:
            print(f"      {group['code']} {group['title']} [{group['check']}] x{group['count']}: "
                  f"{', '.join(group['operations'] or [])}")
    for error in result["errors"]:
        print(f"    ERROR: {error['title']} ({error.get('count', 1)})")
    for error in result["fixtureErrors"][:5]:
        print(f"    fixture not made again: {error}")


def main():
    args = arguments()
    specs_dir = args.specs_dir or default_specs_dir()
    data_dir = pathlib.Path(args.data_dir)
    work = pathlib.Path(args.work_dir) if args.work_dir else pathlib.Path(
        tempfile.mkdtemp(prefix="switchboard-fuzz-"))
    work.mkdir(parents=True, exist_ok=True)
    summary_path = pathlib.Path(args.summary) if args.summary else work / "summary.json"
    seed = args.seed if args.seed is not None else random.randrange(2**63)

    services = [dict(zip(("name", "spec", "apiVersion", "auth"), (r["name"], r["spec"], r["apiVersion"], r["auth"])))
                for r in read_table(args.services_file, ("name", "spec", "apiVersion", "auth"))]
    if args.services:
        wanted = args.services.split(",")
        unknown = set(wanted) - {s["name"] for s in services}
        if unknown:
            raise SystemExit(f"unknown services {sorted(unknown)}; {args.services_file} lists "
                             f"{[s['name'] for s in services]}")
        services = [s for s in services if s["name"] in wanted]

    endpoint, access_key = acs.parse_connection_string((data_dir / "connection-string").read_text())
    server_url = (data_dir / "server-url").read_text().strip()
    ca = str(data_dir / "ca.pem")
    print(f"==> fuzzing {endpoint} (seed {seed}, work dir {work})", flush=True)
    client = acs.Client(endpoint, access_key, ca)
    fixtures = acs.Fixtures(client)
    fixtures.create_all()
    state = fixtures.state
    print(f"    fixtures: {len(state['identities'])} identities, {len(state['threads'])} chat threads with messages, "
          f"{len(state['numbers']) + len(state['smsNumbers'])} phone numbers, {len(state['reservations'])} "
          f"reservations", flush=True)

    started = time.time()
    results = []
    server_up = True
    for service in services:
        # Each service gets fixtures as they are now (an earlier service may have used some up).
        context_path = work / f"context-{service['name']}.json"
        context_path.write_text(json.dumps({"endpoint": endpoint, "accessKey": access_key, "ca": ca,
                                            "fixtures": fixtures.state}))
        os.chmod(context_path, 0o600)
        results.append(run_service(service, args, context_path, work, specs_dir, seed, args.known_5xx_file))
        # Later services start from the fixtures this one left (it may have deleted and made some again).
        stats_path = work / f"stats-{service['name']}.json"
        if stats_path.exists():
            left = json.load(open(stats_path)).get("fixtures")
            if left:
                fixtures.state = dict(left, chatUser=fixtures.state["chatUser"])
        context_path.unlink()   # holds the access key and a user token
        if not healthy(server_url, ca, args.server_pid):
            server_up = False
            print(f"\n!! the server stopped answering after {service['name']}", flush=True)
            break

    probes = header_probes(server_url, ca, urllib.parse.urlsplit(endpoint).path.strip("/")) if server_up else []
    if probes:
        print("\n==> raw requests with a control character in a header value (a 400 is expected)")
        for probe in probes:
            print(f"    {probe['header']}: {probe['outcome']}")
        server_up = healthy(server_url, ca, args.server_pid)

    total = time.time() - started
    print("\n==> summary")
    print(f"    {'service':<14}{'requests':>9}{'5xx':>6}{'unexp.':>7}{'net err':>8}{'findings':>9}{'seconds':>9}  statuses")
    for r in results:
        print(f"    {r['service']:<14}{r['requests']:>9}{r['serverErrors']:>6}{r['unexpectedServerErrors']:>7}"
              f"{r['networkErrors']:>8}{sum(f['count'] or 0 for f in r['findings']):>9}{r['seconds']:>9.0f}  "
              + " ".join(f"{c}:{n}" for c, n in r["statuses"].items()))
    ok = server_up and all(r["ok"] for r in results) and len(results) == len(services)
    summary = {
        "ok": ok,
        "startedAt": datetime.datetime.fromtimestamp(started, datetime.timezone.utc).isoformat(),
        "seconds": round(total, 1),
        "seed": seed,
        "endpoint": endpoint,
        "serverStillUp": server_up,
        "headerProbes": probes,
        "schemathesisVersion": importlib.metadata.version("schemathesis"),
        "totals": {
            "requests": sum(r["requests"] for r in results),
            "serverErrors": sum(r["serverErrors"] for r in results),
            "unexpectedServerErrors": sum(r["unexpectedServerErrors"] for r in results),
            "networkErrors": sum(r["networkErrors"] for r in results),
        },
        "services": results,
    }
    summary_path.parent.mkdir(parents=True, exist_ok=True)
    summary_path.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"    total: {summary['totals']['requests']} requests in {total:.0f} s; "
          f"{'PASS' if ok else 'FAIL'} (unexpected 5xx: {summary['totals']['unexpectedServerErrors']}, "
          f"network errors: {summary['totals']['networkErrors']})")
    print(f"    summary: {summary_path}\n    logs and reports: {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
