-- Rollback of 20261126030600_create_executor_rpcs.

revoke execute on function public.schema_version() from controlroom_executor;

drop function public.emit_events(uuid, jsonb, timestamptz);
drop function public.confirm_cancel(uuid, text, timestamptz);
drop function public.fail_run(uuid, boolean, text, text, timestamptz);
drop function public.complete_run(uuid, jsonb, timestamptz);
drop function public.heartbeat(uuid, jsonb, timestamptz);
drop function public.start_run(uuid, timestamptz);
drop function public.claim_runs(uuid, integer, text, jsonb, timestamptz);
drop function public.register_executor(text, jsonb, text, text, timestamptz);

drop function private.lease_is_live(public.run_attempts);
drop function private.retry_jitter(interval);
drop function private.retry_delay(integer, interval, interval);
drop function private.lease_reply(text, public.run_attempts, public.runs);
drop function private.reject_dead_lease(public.run_attempts, text, timestamptz);
drop function private.lock_lease(uuid);
drop function private.assert_executor(uuid);
drop function private.assert_executor_role();
