-- The status sets, in one place: which attempt statuses hold a live lease, which run statuses are
-- terminal or active. Immutable and argument-free, so a statement that uses them is planned with
-- the constant array.

create function private.live_attempt_statuses()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['claimed', 'running']
$$;

comment on function private.live_attempt_statuses() is
'The statuses of an attempt whose lease may still write (claimed, running). Every other attempt status is closed for good (a dead lease).';

create function private.terminal_run_statuses()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['succeeded', 'failed', 'cancelled', 'timed_out']
$$;

comment on function private.terminal_run_statuses() is
'The terminal run statuses (succeeded, failed, cancelled, timed_out): a run in one of them never changes again.';

create function private.active_run_statuses()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['claimed', 'running']
$$;

comment on function private.active_run_statuses() is
'The run statuses in which a run holds a live attempt (claimed, running).';
