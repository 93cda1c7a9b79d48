"""`make up` and `make down` as named steps; each step that starts something can undo it.

up    1. the emulator (moto server, IAM enforced) on a free loopback port, and the harness's
         IAM user (local_stack.iam); kept when a previous `up` left it running
      2. `terraform apply` of the unmodified root module, as that user, from build/stack
      3. a fresh signing secret in each enabled provider's SSM parameter (local_stack.secrets)
      4. the local Function URL (local_stack.gateway) on AWS's Lambda runtime; kept warm
         when the function did not change; with events out, the publisher on the same
         runtime fed by the tables' streams (local_stack.streams)
      5. build/local.env and build/state.json
      If a step fails, the steps done so far are undone in reverse order (only what this
      `up` started is stopped); the logs stay.
down  (teardown.py) `terraform destroy`, the proof that nothing is left, then every process `up` started
      is stopped and build/local.env removed, even when the destroy failed.

Nothing here reaches real AWS: every AWS_* variable of the caller is dropped and replaced
by the emulator's endpoint and the harness user's emulator key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_stack import iam
from local_stack.emulator import REGION, SERVER_MODULE, Emulator, answers, aws_env
from local_stack.envfile import write_env_file
from local_stack.gateway import launch
from local_stack.layout import (
    Layout,
    local_env,
    read_record,
    record_credentials,
    say,
    write_record,
)
from local_stack.processes import pid_alive, process_is_ours, stop_process
from local_stack.secrets import SecretError, put_provider_secrets
from local_stack.streams import launch as streams_launch
from local_stack.terraform import Terraform, TerraformError, find_package, forget_state, refresh_copy, terraform_binary
from webhook_cli.providers import REGISTRY, parameters

EMULATOR_MARKER = SERVER_MODULE
GATEWAY_MARKER = launch.MARKER
STREAM_RUNNER_MARKER = streams_launch.MARKER


class StackError(Exception):
    """A step failed; the message says which and where its log is."""


# What a failed step raises: the CLI prints the message (never a stack trace) and exits 1.
ERRORS = (StackError, SecretError, launch.GatewayError, streams_launch.StreamRunnerError, TerraformError, iam.IamError)


@dataclass
class Run:
    """What one `up` knows so far; the steps fill it in."""

    layout: Layout
    suffix: str
    verbose: bool
    record: dict[str, Any]
    running: bool  # a previous `up`'s emulator still answers with its harness user
    credentials: iam.Credentials | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    package: Path | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    gateway: dict[str, Any] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # what build/local.env holds
    started_emulator: bool = False
    started_gateway: bool = False
    started_stream_runner: bool = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.record['emulator_port']}"

    def save(self) -> None:
        write_record(self.layout, self.record)


def terraform(run: Run) -> Terraform:
    env = aws_env(run.endpoint, REGION, run.credentials.env() if run.credentials else None)
    return Terraform(
        run.layout.stack_dir,
        env,
        credentials=botocore_credentials(run.credentials),
        log_path=run.layout.logs / "terraform.log",
        progress=lambda line: say("    " + line),
        verbose=run.verbose,
    )


def botocore_credentials(credentials: iam.Credentials | None) -> Any:
    if credentials is None:
        return None
    from botocore.credentials import Credentials

    return Credentials(credentials.access_key_id, credentials.secret_access_key, credentials.session_token)


# --------------------------------------------------------------------------- the steps of up


def start_emulator(run: Run) -> None:
    if run.running:
        say(f"The stack is already up (emulator pid {run.record['emulator_pid']}); re-applying to converge.")
        return
    if run.record:
        say("Cleaning up what a previous `up` left behind (its emulator is gone).")
        stop_process(run.record.get("gateway_pid"), GATEWAY_MARKER, "local Function URL", say)
        stop_process(run.record.get("stream_runner_pid"), STREAM_RUNNER_MARKER, "stream poller", say)
        stop_process(run.record.get("emulator_pid"), EMULATOR_MARKER, "emulator", say)
    forget_state(run.layout.stack_dir)
    run.layout.local_env.unlink(missing_ok=True)
    say("[1/5] Starting the AWS emulator (moto server, IAM enforced) on a free 127.0.0.1 port")
    emulator = Emulator(run.layout.logs / "emulator.log", unauthenticated_calls=iam.BOOTSTRAP_CALLS)
    try:
        emulator.start()
    except RuntimeError as exc:
        raise StackError(str(exc)) from None
    run.started_emulator = True
    run.record = {
        "emulator_pid": emulator.pid,
        "emulator_port": emulator.port,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    run.save()
    say(f"      emulator pid {emulator.pid} at {emulator.endpoint}")
    try:
        run.credentials = iam.create_harness_user(run.endpoint, REGION)
        iam.check_enforced(run.endpoint, REGION, run.credentials)
    except Exception as exc:
        raise StackError(f"could not set up IAM in the emulator: {exc}") from exc
    run.record["harness_credentials"] = run.credentials.env()
    run.save()
    say(f"      IAM enforced; Terraform and the harness act as emulator user {iam.HARNESS_USER}")


def stop_emulator(run: Run) -> None:
    if run.started_emulator:
        stop_process(run.record.get("emulator_pid"), EMULATOR_MARKER, "emulator", say)
        run.layout.record.unlink(missing_ok=True)
        forget_state(run.layout.stack_dir)


def apply(run: Run) -> None:
    run.record.update(environment_suffix=run.suffix, terraform=terraform_binary())
    run.save()
    stack_dir = run.layout.stack_dir
    say(f"[2/5] terraform apply of the root module (environment_suffix={run.suffix}) in {run.layout.rel(stack_dir)}")
    refresh_copy(stack_dir)
    try:
        with terraform(run) as tf:
            tf.run("init", "-input=false", "-no-color")
            tf.run("apply", "-auto-approve", "-input=false", "-no-color", f"-var=environment_suffix={run.suffix}")
            state_text = tf.capture("show", "-json")
            run.outputs = tf.outputs()
        run.package, run.record["package_sha256"] = find_package(json.loads(state_text), stack_dir)
    except TerraformError as exc:
        if exc.output:
            say("    ... last lines of the log:")
            for line in exc.output.splitlines():
                say("    | " + line)
        raise StackError(str(exc)) from None
    run.layout.state_json.write_text(state_text)


def put_secrets(run: Run) -> None:
    run.parameters = parameters(run.outputs)
    say(f"[3/5] Signing secrets in SSM ({', '.join(sorted(run.parameters)) or 'none'}; SecureString, the stack's key)")
    previous = local_env(run.layout) if run.running else {}
    run.secrets = put_provider_secrets(run.endpoint, run.parameters, run.outputs, previous, run.credentials, say)


def start_gateway(run: Run) -> None:
    name = run.outputs["function_name"]
    assert run.package is not None
    say(f"[4/5] Starting the local Function URL for {name} from {run.layout.rel(run.package)}")
    pid = int(run.record.get("gateway_pid") or 0)
    if run.running and pid_alive(pid) and process_is_ours(pid, GATEWAY_MARKER):
        try:
            current = json.loads(run.layout.gateway_ready.read_text())
        except (OSError, ValueError):
            current = {}
        if current.get("fingerprint") == launch.function_fingerprint(run.endpoint, name, run.credentials):
            run.gateway = current
            say("      (function unchanged: the running one stays, warm)")
        else:
            stop_process(pid, GATEWAY_MARKER, "local Function URL (function changed)", say)
    if not run.gateway:
        try:
            pid, run.gateway = launch.start_gateway(
                run.layout,
                run.endpoint,
                name,
                run.package,
                int(run.record.get("gateway_port") or 0),
                credentials=run.credentials,
            )
        except launch.GatewayError as exc:
            raise StackError(str(exc)) from None
        run.started_gateway = True
    run.record.update(gateway_pid=pid, gateway_port=run.gateway["port"], function_name=name, package=str(run.package))
    run.save()


def stop_gateway(run: Run) -> None:
    if run.started_gateway:
        stop_process(run.record.get("gateway_pid"), GATEWAY_MARKER, "local Function URL", say)
        run.record.pop("gateway_pid", None)
        if run.layout.record.exists():
            run.save()


def start_stream_runner(run: Run) -> None:
    """Events out: the publisher on RIE, fed by the streams as its mappings say; kept when unchanged."""
    publisher = run.outputs.get("publisher_function_name")
    if not publisher:
        return
    assert run.package is not None
    pid = int(run.record.get("stream_runner_pid") or 0)
    fingerprint = launch.function_fingerprint(run.endpoint, publisher, run.credentials)
    alive = run.running and pid_alive(pid) and process_is_ours(pid, STREAM_RUNNER_MARKER)
    if alive and run.record.get("publisher_fingerprint") == fingerprint:
        say(f"      {publisher}: unchanged, its stream poller stays (pid {pid})")
    else:
        if alive:
            stop_process(pid, STREAM_RUNNER_MARKER, "stream poller (publisher changed)", say)
        say(f"      {publisher}: on RIE + awslambdaric, fed by the tables' streams (stream poller)")
        try:
            pid = streams_launch.start_stream_runner(run.layout, run.endpoint, publisher, run.package, run.credentials)
        except streams_launch.StreamRunnerError as exc:
            raise StackError(str(exc)) from None
        run.started_stream_runner = True
    run.record.update(stream_runner_pid=pid, publisher_fingerprint=fingerprint)
    run.save()


def stop_stream_runner(run: Run) -> None:
    if run.started_stream_runner:
        stop_process(run.record.get("stream_runner_pid"), STREAM_RUNNER_MARKER, "stream poller", say)
        run.record.pop("stream_runner_pid", None)
        if run.layout.record.exists():
            run.save()


def write_files(run: Run) -> None:
    layout = run.layout
    say(f"[5/5] Writing {layout.rel(layout.local_env)} and {layout.rel(layout.state_json)}")
    assert run.credentials is not None
    values = {
        "FUNCTION_URL": run.gateway["url"],
        "AWS_ENDPOINT_URL": run.endpoint,
        "AWS_REGION": REGION,
        "TABLE_NAME": run.outputs["table_name"],
        **run.secrets,
        "EMULATOR_PID": str(run.record["emulator_pid"]),
        "GATEWAY_PID": str(run.record["gateway_pid"]),
        "FUNCTION_NAME": run.outputs["function_name"],
        # For `set -a; . build/local.env` followed by aws/boto3 commands: the harness
        # user's key (the emulator refuses unknown keys).
        "AWS_DEFAULT_REGION": REGION,
        **run.credentials.env(),
        "ENV_SUFFIX": run.suffix,
    }
    if run.outputs.get("payments_table_name"):
        values["PAYMENTS_TABLE_NAME"] = run.outputs["payments_table_name"]
    if run.outputs.get("events_queue_url"):
        values["EVENTS_QUEUE_URL"] = run.outputs["events_queue_url"]
        values["EVENT_BUS_NAME"] = run.outputs.get("event_bus_name") or ""  # empty: the bus is off
    if run.record.get("stream_runner_pid"):
        values["STREAM_RUNNER_PID"] = str(run.record["stream_runner_pid"])
    for name, parameter in run.parameters.items():
        values[REGISTRY[name].parameter_env] = parameter
    write_env_file(layout.local_env, values)
    run.values = values


Step = tuple[Callable[[Run], None], Callable[[Run], None] | None]
UP_STEPS: tuple[Step, ...] = (
    (start_emulator, stop_emulator),
    (apply, None),
    (put_secrets, None),
    (start_gateway, stop_gateway),
    (start_stream_runner, stop_stream_runner),
    (write_files, None),
)


def up(layout: Layout, suffix: str, verbose: bool = False) -> dict[str, str]:
    """Bring the stack up (or converge a running one). Returns the local.env values."""
    for directory in (layout.build, layout.logs, layout.run):
        directory.mkdir(parents=True, exist_ok=True)
    record = read_record(layout)
    running = bool(record) and pid_alive(record.get("emulator_pid")) and answers(record.get("emulator_port"))
    credentials = record_credentials(record) if running else None
    run = Run(layout, suffix, verbose, record, running and credentials is not None, credentials)
    attempted: list[Step] = []
    try:
        for step in UP_STEPS:
            attempted.append(step)
            step[0](run)
    except BaseException:
        if run.started_emulator or run.started_gateway or run.started_stream_runner:
            say("`up` failed: stopping the processes it started (logs stay in " + layout.rel(layout.logs) + ")")
        for _, undo in reversed(attempted):  # the failed step too: it may have started its process
            if undo is not None:
                undo(run)
        raise
    summary(run)
    return run.values


def summary(run: Run) -> None:
    info, outputs = run.gateway, run.outputs
    say("")
    say(f"The stack is up (environment {run.suffix}):")
    say(
        f"  Function URL   {info['url']}  -> {outputs['function_name']}"
        f" (max {info['max_workers']} concurrent, timeout {info['timeout_seconds']}s)"
    )
    say(f"  Runtime        {info.get('runtime', 'aws-lambda-rie + awslambdaric')}, as role {info.get('role_arn', '?')}")
    say(f"  AWS emulator   {run.endpoint}  (moto, pid {run.record['emulator_pid']}, IAM enforced)")
    say(f"  Table          {outputs['table_name']}")
    if run.values.get("EVENTS_QUEUE_URL"):
        say(f"  Events out     {run.values['EVENTS_QUEUE_URL']}  (python -m webhook_cli.consume)")
        publisher_log = run.layout.rel(run.layout.logs / "publisher.log")
        say(f"                 {outputs['publisher_function_name']} fed by the streams; log {publisher_log}")
    for name, parameter in sorted(run.parameters.items()):
        where = f"{REGISTRY[name].value_env} in {run.layout.rel(run.layout.local_env)}"
        say(f"  Secret         {name}: SSM {parameter}, {where}")
    say(f"  Logs           {run.layout.rel(run.layout.logs)}/ (function.log is the function's CloudWatch stand-in)")
    say("  Stop           make down")
