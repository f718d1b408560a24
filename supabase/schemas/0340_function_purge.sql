-- Why: retention. The only way to remove audit rows (run_transitions, run_events, artifacts):
-- the append-only triggers let a DELETE through only while controlroom.purging is on.

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

-- Retention by workspace policy (0292, 0620): the same door, scoped to one workspace and bounded.
create function private.purge_finished_runs_of(workspace_id uuid, older_than timestamptz, max_runs integer)
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
        where r.workspace_id = purge_finished_runs_of.workspace_id
            and r.finished_at < purge_finished_runs_of.older_than
        order by r.finished_at
        limit purge_finished_runs_of.max_runs
        for update skip locked
    ) as r;
    if v_ids is null then
        return 0::bigint;
    end if;

    perform pg_catalog.set_config('controlroom.purging', 'on', true);
    delete from public.run_events as e where e.run_id = any(v_ids);
    delete from public.run_transitions as t where t.run_id = any(v_ids);
    delete from public.run_attempts as a where a.run_id = any(v_ids);
    delete from public.runs as r where r.id = any(v_ids);
    perform pg_catalog.set_config('controlroom.purging', 'off', true);
    return pg_catalog.cardinality(v_ids)::bigint;
end
$$;

comment on function private.purge_finished_runs_of(uuid, timestamptz, integer) is
'Retention of one workspace: deletes up to max_runs of its terminal runs finished before older_than, with their attempts, transitions and events (artifact records and lineage by cascade).';

create function private.purge_run_events(workspace_id uuid, older_than timestamptz, max_rows integer)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_count bigint;
begin
    perform pg_catalog.set_config('controlroom.purging', 'on', true);
    -- Only events of finished runs: a live run's history stays whole while it can still change.
    delete from public.run_events as e
    where e.id = any(array(
        select v.id
        from public.run_events as v
        inner join public.runs as r on r.id = v.run_id
        where v.workspace_id = purge_run_events.workspace_id
            and v.ts < purge_run_events.older_than
            and r.finished_at is not null
        order by v.id
        limit purge_run_events.max_rows
    ));
    get diagnostics v_count = row_count;
    perform pg_catalog.set_config('controlroom.purging', 'off', true);
    return v_count;
end
$$;

comment on function private.purge_run_events(uuid, timestamptz, integer) is
'Retention of one workspace: deletes up to max_rows run events older than older_than (by ts) of its finished runs.';

create function private.purge_artifact_verifications(workspace_id uuid, older_than timestamptz, max_rows integer)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
    v_count bigint;
begin
    perform pg_catalog.set_config('controlroom.purging', 'on', true);
    -- Of any run: a verification is a later reading of a run's outputs, not part of its execution
    -- history. The partial index run_events_verifications_idx keeps the search to these events.
    delete from public.run_events as e
    where e.id = any(array(
        select v.id
        from public.run_events as v
        where v.workspace_id = purge_artifact_verifications.workspace_id
            and v.type in ('artifact.verified', 'artifact.verification_failed')
            and v.ts < purge_artifact_verifications.older_than
        order by v.ts
        limit purge_artifact_verifications.max_rows
    ));
    get diagnostics v_count = row_count;
    perform pg_catalog.set_config('controlroom.purging', 'off', true);
    return v_count;
end
$$;

comment on function private.purge_artifact_verifications(uuid, timestamptz, integer) is
'Retention of one workspace: deletes up to max_rows verification records (artifact.verified / artifact.verification_failed run events) older than older_than (by ts), of any run.';
