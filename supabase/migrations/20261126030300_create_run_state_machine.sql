-- Why: the run status machine, definition immutability and the append-only audit must hold for
-- every writer, including a buggy RPC or an operator with psql, so they are enforced by triggers
-- rather than by convention. Statement-level triggers with transition tables keep the checks
-- and the audit set-based: a claim of 50 runs costs one check and one audit insert, not 50.
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
    select run_status_is_terminal.status in ('succeeded', 'failed', 'cancelled', 'timed_out')
$$;

comment on function private.run_status_is_terminal(text) is
'Whether a run status is terminal (succeeded, failed, cancelled, timed_out).';

-- runs: submissions ------------------------------------------------------------------------

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

-- runs: every change -----------------------------------------------------------------------

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

-- run_attempts -----------------------------------------------------------------------------

create function private.run_attempts_after_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
    v_bad record;
begin
    select n.run_id, n.attempt_no into v_bad
    from new_attempts as n
    where n.attempt_no > 1
        and not exists (
            select
            from public.run_attempts as p
            where p.run_id = n.run_id and p.attempt_no = n.attempt_no - 1
        )
    limit 1;
    if found then
        raise exception 'attempt % of run % skips a number', v_bad.attempt_no, v_bad.run_id
        using errcode = 'PT422',
        detail = 'Attempt numbers of a run are 1, 2, 3, ... without gaps.',
        hint = 'Attempts are created only by public.claim_runs.';
    end if;
    return null;
end
$$;

comment on function private.run_attempts_after_insert() is
'Trigger: attempt numbers of a run increase by one (no gaps, duplicates are refused by a unique constraint).';

create trigger run_attempts_after_insert
after insert on public.run_attempts
referencing new table as new_attempts
for each statement execute function private.run_attempts_after_insert();

create function private.run_attempts_after_update()
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
    select o.id into v_bad
    from old_attempts as o
    left join new_attempts as n on n.id = o.id
    where n.id is null
        or (o.run_id, o.workspace_id, o.attempt_no, o.executor_id, o.lease_token, o.claimed_at)
        is distinct from
        (n.run_id, n.workspace_id, n.attempt_no, n.executor_id, n.lease_token, n.claimed_at)
        or (o.finished_at is not null and o is distinct from n)
    limit 1;
    if found then
        raise exception 'attempt % cannot be changed that way', v_bad.id
        using errcode = '42501',
        detail = 'An attempt''s identity, run, executor and lease token never change, and a closed attempt is final.',
        hint = 'Attempts are changed only by the executor RPCs and requeue_stale_runs.';
    end if;
    return null;
end
$$;

comment on function private.run_attempts_after_update() is
'Trigger: attempt identity and lease token are immutable; closed attempts never change (a dead lease stays dead).';

create trigger run_attempts_after_update
after update on public.run_attempts
referencing old table as old_attempts new table as new_attempts
for each statement execute function private.run_attempts_after_update();

-- Append-only and immutable tables ---------------------------------------------------------

create function private.reject_table_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if tg_op = 'DELETE' and pg_catalog.current_setting('controlroom.purging', true) = 'on' then
        return null;
    end if;
    raise exception '% on %.% is not allowed', tg_op, tg_table_schema, tg_table_name
    using errcode = '42501',
    detail = tg_argv[0],
    hint = 'Old rows are removed only by private.purge_finished_runs(older_than) or private.purge_workspace(workspace_id).';
end
$$;

comment on function private.reject_table_change() is
'Trigger: refuses UPDATE, DELETE and TRUNCATE for every role, the owner included. DELETE passes only inside the purge functions, which set the transaction-local setting controlroom.purging.';

create trigger run_transitions_append_only
before update or delete on public.run_transitions
for each statement execute function private.reject_table_change('run_transitions is an append-only audit.');

create trigger run_transitions_no_truncate
before truncate on public.run_transitions
for each statement execute function private.reject_table_change('run_transitions is an append-only audit.');

create trigger run_events_append_only
before update or delete on public.run_events
for each statement execute function private.reject_table_change('run_events is append-only.');

create trigger run_events_no_truncate
before truncate on public.run_events
for each statement execute function private.reject_table_change('run_events is append-only.');

create trigger pipeline_specs_immutable
before update or delete on public.pipeline_specs
for each statement execute function private.reject_table_change(
    'Published spec versions are immutable; publish a new version instead.'
);

-- The single-run transition helper ---------------------------------------------------------

create function private.transition_run(
    run_id uuid,
    to_status text,
    actor text,
    reason text,
    as_of timestamptz,
    not_before timestamptz default null
)
returns public.runs
language plpgsql
set search_path = ''
as $$
declare
    v_run public.runs;
begin
    update public.runs as r
    set status = transition_run.to_status,
        not_before = coalesce(transition_run.not_before, r.not_before),
        finished_at = case
            when private.run_status_is_terminal(transition_run.to_status) then transition_run.as_of
        end,
        status_changed_at = transition_run.as_of,
        status_changed_by = transition_run.actor,
        status_reason = transition_run.reason,
        updated_at = transition_run.as_of
    where r.id = transition_run.run_id
    returning r.* into v_run;
    if not found then
        raise exception 'run % does not exist', transition_run.run_id
        using errcode = 'PT404',
        detail = 'No run has this id.',
        hint = 'Check the run id.';
    end if;
    return v_run;
end
$$;

comment on function private.transition_run(uuid, text, text, text, timestamptz, timestamptz) is
'Moves one run to to_status (the trigger checks the edge and writes the audit row). Set-based paths (claim, requeue) update the same columns in one statement.';

-- Retention --------------------------------------------------------------------------------

create function private.purge_finished_runs(older_than timestamptz, max_runs integer default 10000)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_ids uuid[];
begin
    select pg_catalog.array_agg(r.id) into v_ids
    from (
        select r.id
        from public.runs as r
        where r.finished_at < purge_finished_runs.older_than
        order by r.finished_at
        limit purge_finished_runs.max_runs
        for update skip locked
    ) as r;
    if v_ids is null then
        return 0;
    end if;

    perform pg_catalog.set_config('controlroom.purging', 'on', true);
    delete from public.run_events as e where e.run_id = any(v_ids);
    delete from public.run_transitions as t where t.run_id = any(v_ids);
    delete from public.run_attempts as a where a.run_id = any(v_ids);
    delete from public.runs as r where r.id = any(v_ids);
    perform pg_catalog.set_config('controlroom.purging', 'off', true);
    return pg_catalog.cardinality(v_ids);
end
$$;

comment on function private.purge_finished_runs(timestamptz, integer) is
'Retention: deletes up to max_runs terminal runs finished before older_than, with their attempts, transitions and events. The only way to remove audit rows; call it in batches (e.g. from pg_cron).';

create function private.purge_workspace(workspace_id uuid)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_runs bigint;
begin
    perform pg_catalog.set_config('controlroom.purging', 'on', true);
    delete from public.run_events as e where e.workspace_id = purge_workspace.workspace_id;
    delete from public.run_transitions as t where t.workspace_id = purge_workspace.workspace_id;
    delete from public.run_attempts as a where a.workspace_id = purge_workspace.workspace_id;
    delete from public.runs as r where r.workspace_id = purge_workspace.workspace_id;
    get diagnostics v_runs = row_count;
    delete from public.executors as x where x.workspace_id = purge_workspace.workspace_id;
    delete from public.pipeline_specs as s where s.workspace_id = purge_workspace.workspace_id;
    delete from public.workspaces as w where w.id = purge_workspace.workspace_id;
    perform pg_catalog.set_config('controlroom.purging', 'off', true);
    return v_runs;
end
$$;

comment on function private.purge_workspace(uuid) is
'Deletes a workspace with all its runs, history, executors and specs (tenant deletion, test clean-up). Returns the number of runs removed.';
