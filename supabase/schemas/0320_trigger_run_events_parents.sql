-- Why: event ingestion is the control plane's hottest write (every executor flushes batches of up
-- to 1000 events). The two foreign keys of run_events (run_id -> runs, attempt_id -> run_attempts)
-- are checked by PostgreSQL per inserted row: a batch of 100 events ran 200 RI queries, about a
-- third of emit_events' time (profiled with auto_explain; see docs/benchmarks.md, "Control
-- plane"). Every row of a batch names the same run and attempt, so the same guarantee is checked
-- here once per statement, set-based:
--   * insert: each referenced run and attempt exists and is locked FOR KEY SHARE until commit,
--     exactly what the RI check does, so a concurrent delete of the parent waits or the insert
--     fails with 23503 (the message names the constraint the foreign key had);
--   * delete of runs / run_attempts: their events are deleted in the same statement, as ON DELETE
--     CASCADE did (and, as before, that delete is refused by run_events_append_only unless it
--     happens inside the purge functions).

create function private.run_events_check_parents()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_run_ids uuid[];
    v_attempt_ids uuid[];
    v_found bigint;
begin
    -- = any(array) keeps both lookups on the primary keys (transition tables have no statistics).
    v_run_ids := array(select distinct n.run_id from new_events as n);
    select pg_catalog.count(*) into v_found
    from (select from public.runs as r where r.id = any(v_run_ids) for key share of r) as locked;
    if v_found <> pg_catalog.cardinality(v_run_ids) then
        raise exception 'insert or update on table "run_events" violates foreign key constraint "run_events_run_id_fkey"'
        using errcode = '23503',
        constraint = 'run_events_run_id_fkey',
        detail = 'An event names a run that does not exist.',
        hint = 'Events are written only by the control plane RPCs, for existing runs.';
    end if;

    v_attempt_ids := array(select distinct n.attempt_id from new_events as n where n.attempt_id is not null);
    if pg_catalog.cardinality(v_attempt_ids) > 0 then
        select pg_catalog.count(*) into v_found
        from (
            select from public.run_attempts as a where a.id = any(v_attempt_ids) for key share of a
        ) as locked;
        if v_found <> pg_catalog.cardinality(v_attempt_ids) then
            raise exception 'insert or update on table "run_events" violates foreign key constraint "run_events_attempt_id_fkey"'
            using errcode = '23503',
            constraint = 'run_events_attempt_id_fkey',
            detail = 'An event names an attempt that does not exist.',
            hint = 'Events are written only by the control plane RPCs, for existing attempts.';
        end if;
    end if;
    return null;
end
$$;

comment on function private.run_events_check_parents() is
'Trigger: the referential check of run_events (run_id -> runs, attempt_id -> run_attempts) once per statement instead of once per row: parents must exist and are locked FOR KEY SHARE, as a foreign key would. 23503 names the former constraint.';

create trigger run_events_check_parents
after insert on public.run_events
referencing new table as new_events
for each statement execute function private.run_events_check_parents();

create function private.run_events_cascade_delete()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    -- The former ON DELETE CASCADE: run_events_append_only refuses it outside the purge functions.
    if tg_table_name = 'runs' then
        if exists (select from old_rows) then
            delete from public.run_events as e where e.run_id = any(array(select o.id from old_rows as o));
        end if;
    elsif exists (select from old_rows) then
        delete from public.run_events as e where e.attempt_id = any(array(select o.id from old_rows as o));
    end if;
    return null;
end
$$;

comment on function private.run_events_cascade_delete() is
'Trigger: deleting runs or run_attempts deletes their run_events (the former ON DELETE CASCADE of the run_events foreign keys); outside the purge functions run_events_append_only refuses it.';

create trigger runs_delete_run_events
after delete on public.runs
referencing old table as old_rows
for each statement execute function private.run_events_cascade_delete();

create trigger run_attempts_delete_run_events
after delete on public.run_attempts
referencing old table as old_rows
for each statement execute function private.run_events_cascade_delete();
