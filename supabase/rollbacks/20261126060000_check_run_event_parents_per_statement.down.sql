-- Rollback of 20261126060000_check_run_event_parents_per_statement: the two row-level foreign keys.

drop trigger run_attempts_delete_run_events on public.run_attempts;
drop trigger runs_delete_run_events on public.runs;
drop function private.run_events_cascade_delete();
drop trigger run_events_check_parents on public.run_events;
drop function private.run_events_check_parents();

alter table public.run_events
add constraint run_events_run_id_fkey foreign key (run_id)
references public.runs (id) on delete cascade,
add constraint run_events_attempt_id_fkey foreign key (attempt_id)
references public.run_attempts (id) on delete cascade;
