-- Why: the run status machine has one source of truth, used by the transition trigger
-- (0300_trigger_runs_state_machine.sql) and by the RPCs.
--
--   queued  -> claimed | cancelled
--   claimed -> running | queued | failed | cancelled | timed_out
--   running -> succeeded | failed | cancelled | timed_out | queued
--   succeeded, failed, cancelled, timed_out: terminal, never change again

create function private.run_status_edge_allowed(from_status text, to_status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select (run_status_edge_allowed.from_status, run_status_edge_allowed.to_status) in (
        ('queued', 'claimed'),
        ('queued', 'cancelled'),
        ('claimed', 'running'),
        ('claimed', 'queued'),
        ('claimed', 'failed'),
        ('claimed', 'cancelled'),
        ('claimed', 'timed_out'),
        ('running', 'succeeded'),
        ('running', 'failed'),
        ('running', 'cancelled'),
        ('running', 'timed_out'),
        ('running', 'queued')
    )
$$;

comment on function private.run_status_edge_allowed(text, text) is
'The run status machine: whether a run may go from from_status to to_status. The single source of truth for the trigger and the RPCs.';

create function private.run_status_is_terminal(status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select run_status_is_terminal.status = any(private.terminal_run_statuses())
$$;

comment on function private.run_status_is_terminal(text) is
'Whether a run status is terminal (succeeded, failed, cancelled, timed_out).';
