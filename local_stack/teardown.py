"""`make down`: `terraform destroy`, the proof that nothing is left, then every process `up` started
is stopped and build/local.env removed, even when the destroy failed."""

from __future__ import annotations

import os
import re

from local_stack import iam
from local_stack.emulator import answers
from local_stack.emulator.inventory import leftovers
from local_stack.layout import Layout, boto3_kwargs, local_env, read_record, record_credentials, say
from local_stack.lifecycle import EMULATOR_MARKER, GATEWAY_MARKER, STREAM_RUNNER_MARKER, Run, terraform
from local_stack.processes import pid_alive, stop_process
from local_stack.terraform import TerraformError, forget_state


def destroy(layout: Layout, endpoint: str, suffix: str, credentials: iam.Credentials | None, verbose: bool) -> bool:
    """terraform destroy, then prove it: empty state and nothing left in the emulator."""
    run = Run(layout, suffix, verbose, {"emulator_port": int(endpoint.rsplit(":", 1)[1])}, True, credentials)
    with terraform(run) as tf:
        before = tf.state_resources()
        say(f"[1/2] terraform destroy against the emulator ({len(before)} resources in the state)")
        try:
            tf.run("destroy", "-auto-approve", "-input=false", "-no-color", f"-var=environment_suffix={suffix}")
            left = tf.state_resources()
        except TerraformError as exc:
            say(f"      {exc}")
            return False
    if left:
        say(f"      NOT destroyed: {', '.join(left)}")
        return False
    say(f"      every resource was destroyed ({len(before)} -> 0 in the state)")
    remaining = leftovers(boto3_kwargs(endpoint, credentials))
    if remaining:
        say(f"      but the emulator still holds: {', '.join(remaining)}")
        return False
    say("      and the emulator holds no function, table, queue, alarm, parameter, log group or role;")
    say("      the KMS key is pending deletion (its 7-30 day waiting period, as on AWS)")
    return True


def down(layout: Layout, verbose: bool = False) -> bool:
    """Destroy, stop, clean. True when the destroy succeeded (or there was nothing to destroy)."""
    record = read_record(layout)
    env_values = local_env(layout)
    if not record and not env_values:
        say("Nothing is up (no build/run/stack.json or build/local.env): nothing to do.")
        return True
    emulator_pid = record.get("emulator_pid") or int(env_values.get("EMULATOR_PID") or 0)
    gateway_pid = record.get("gateway_pid") or int(env_values.get("GATEWAY_PID") or 0)
    runner_pid = record.get("stream_runner_pid") or int(env_values.get("STREAM_RUNNER_PID") or 0)
    port = record.get("emulator_port")
    if not port:
        match = re.search(r":(\d+)$", env_values.get("AWS_ENDPOINT_URL", ""))
        port = int(match.group(1)) if match else None
    destroyed = True
    try:
        stop_process(runner_pid, STREAM_RUNNER_MARKER, "stream poller", say)  # first: no polling of what is destroyed
        emulator_up = pid_alive(emulator_pid) and answers(port)
        if emulator_up and (layout.stack_dir / "terraform.tfstate").exists():
            suffix = record.get("environment_suffix") or os.environ.get("ENV_SUFFIX") or "dev"
            credentials = record_credentials(record) or (
                iam.Credentials.from_env(env_values) if env_values.get("AWS_ACCESS_KEY_ID") else None
            )
            destroyed = destroy(layout, f"http://127.0.0.1:{port}", suffix, credentials, verbose)
        elif emulator_up:
            say("[1/2] No Terraform state: nothing was applied, so there is nothing to destroy.")
        else:
            say("[1/2] The emulator is not running: nothing left to destroy (it keeps everything in memory).")
    finally:
        say("[2/2] Stopping the processes `up` started")
        stop_process(runner_pid, STREAM_RUNNER_MARKER, "stream poller", say)  # if the destroy failed before
        stop_process(gateway_pid, GATEWAY_MARKER, "local Function URL", say)
        stop_process(emulator_pid, EMULATOR_MARKER, "emulator", say)
        forget_state(layout.stack_dir)
        for path in (layout.local_env, layout.record, layout.gateway_ready, layout.stream_runner_ready):
            path.unlink(missing_ok=True)
        say(f"      removed {layout.rel(layout.local_env)}")
    return destroyed
