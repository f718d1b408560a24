-- Rollback of 20261126030300_create_run_state_machine.

drop function private.purge_workspace(uuid);
drop function private.purge_finished_runs(timestamptz, integer);
drop function private.transition_run(uuid, text, text, text, timestamptz, timestamptz);

drop trigger pipeline_specs_immutable on public.pipeline_specs;
drop trigger run_events_no_truncate on public.run_events;
drop trigger run_events_append_only on public.run_events;
drop trigger run_transitions_no_truncate on public.run_transitions;
drop trigger run_transitions_append_only on public.run_transitions;
drop function private.reject_table_change();

drop trigger run_attempts_after_update on public.run_attempts;
drop function private.run_attempts_after_update();
drop trigger run_attempts_after_insert on public.run_attempts;
drop function private.run_attempts_after_insert();

drop trigger runs_after_update on public.runs;
drop function private.runs_after_update();
drop trigger runs_after_insert on public.runs;
drop function private.runs_after_insert();

drop function private.run_status_is_terminal(text);
drop function private.run_status_edge_allowed(text, text);
