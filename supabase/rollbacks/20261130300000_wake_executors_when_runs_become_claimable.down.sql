-- Rollback of 20261130300000_wake_executors_when_runs_become_claimable: no wake-up triggers;
-- executors find work by polling the claim alone.

set lock_timeout = '5s';
set statement_timeout = '60s';

drop trigger runs_wake_after_update on public.runs;
drop trigger runs_wake_after_insert on public.runs;
drop function private.runs_wake_after_update();
drop function private.runs_wake_after_insert();
drop function private.wake_executors(text, bigint, timestamptz);
drop function private.wake_topic(text);
