-- Rollback of 20261201500300_plan_the_wake_up_lookup_with_nested_loops: the wake-up lookup plans
-- with the settings of the trigger that calls it again.

set lock_timeout = '5s';
set statement_timeout = '60s';

alter function private.wake_executors(text, bigint, timestamptz) reset enable_nestloop;
