-- Why: the run status machine, definition immutability and the append-only audit must hold for
-- every writer, including a buggy RPC or an operator with psql, so they are enforced by triggers
-- rather than by convention. Statement-level triggers with transition tables keep the checks
-- and the audit set-based: a claim of 50 runs costs one check and one audit insert, not 50.

create function private.runs_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_bad record;
begin
    select n.id, n.status into v_bad
    from new_runs as n
    where n.status <> 'queued' or n.attempt_count <> 0
    limit 1;
    if found then
        raise exception 'run % must start queued, not %', v_bad.id, v_bad.status
        using errcode = 'PT422',
        detail = 'A new run is always queued with no attempts.',
        hint = 'Submit runs with public.submit_run.';
    end if;

    insert into public.run_transitions (
        run_id, workspace_id, attempt_no, from_status, to_status, actor, reason, at
    )
    select n.id, n.workspace_id, n.attempt_count, null, n.status,
        n.status_changed_by, n.status_reason, n.status_changed_at
    from new_runs as n;
    return null;
end
$$;

comment on function private.runs_after_insert() is
'Trigger: a run starts queued; its submission is the first row of run_transitions.';

create trigger runs_after_insert
after insert on public.runs
referencing new table as new_runs
for each statement execute function private.runs_after_insert();

create function private.runs_after_update()
returns trigger
language plpgsql
set search_path = ''
-- Transition tables carry no statistics (estimated at one row): without this, joining old and
-- new rows is a nested loop, quadratic in the rows of the statement (a 10,000-run requeue).
set enable_nestloop = off
as $$
declare
    v_bad record;
begin
    if (select pg_catalog.count(*) from new_runs)
        <> (select pg_catalog.count(*) from new_runs as n inner join old_runs as o on o.id = n.id) then
        raise exception 'run ids are immutable'
        using errcode = '42501',
        detail = 'An UPDATE changed the id of a run.',
        hint = 'Runs are changed only by the control plane RPCs.';
    end if;

    select o.id into v_bad
    from old_runs as o
    inner join new_runs as n on n.id = o.id
    where (o.workspace_id, o.spec_id, o.params, o.priority, o.idempotency_key, o.pool,
        o.required_labels, o.submitted_by, o.created_at)
        is distinct from
        (n.workspace_id, n.spec_id, n.params, n.priority, n.idempotency_key, n.pool,
        n.required_labels, n.submitted_by, n.created_at)
        or n.attempt_count < o.attempt_count
    limit 1;
    if found then
        raise exception 'the definition of run % is immutable', v_bad.id
        using errcode = '42501',
        detail = 'workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels, submitted_by and created_at never change, and attempt_count never decreases.',
        hint = 'Submit a new run instead.';
    end if;

    select o.id, o.status into v_bad
    from old_runs as o
    inner join new_runs as n on n.id = o.id
    where private.run_status_is_terminal(o.status) and o is distinct from n
    limit 1;
    if found then
        raise exception 'run % is % and can no longer change', v_bad.id, v_bad.status
        using errcode = 'PT422',
        detail = 'Terminal runs (succeeded, failed, cancelled, timed_out) are final.',
        hint = 'Submit a new run to run the spec again.';
    end if;

    select o.id, o.status as from_status, n.status as to_status into v_bad
    from old_runs as o
    inner join new_runs as n on n.id = o.id
    where o.status <> n.status
        and not private.run_status_edge_allowed(o.status, n.status)
    limit 1;
    if found then
        raise exception 'run % cannot go from % to %', v_bad.id, v_bad.from_status, v_bad.to_status
        using errcode = 'PT422',
        detail = 'Allowed: queued->claimed|cancelled; claimed->running|queued|failed|cancelled|timed_out; running->succeeded|failed|cancelled|timed_out|queued.',
        hint = 'Read the run''s current status and call the RPC that fits it.';
    end if;

    insert into public.run_transitions (
        run_id, workspace_id, attempt_no, from_status, to_status, actor, reason, at
    )
    select n.id, n.workspace_id, n.attempt_count, o.status, n.status,
        n.status_changed_by, n.status_reason, n.status_changed_at
    from old_runs as o
    inner join new_runs as n on n.id = o.id
    where o.status <> n.status
    order by n.id;
    return null;
end
$$;

comment on function private.runs_after_update() is
'Trigger: definition columns are immutable, terminal runs are final, status follows private.run_status_edge_allowed, and every status change is audited in run_transitions.';

create trigger runs_after_update
after update on public.runs
referencing old table as old_runs new table as new_runs
for each statement execute function private.runs_after_update();
