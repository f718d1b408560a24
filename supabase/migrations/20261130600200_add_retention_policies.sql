-- Why: retention (issue 16, item 2). Events and finished runs were never purged although purge
-- functions existed. retention_policies says per workspace how long events and finished runs are
-- kept; private.apply_retention applies the policies in bounded batches through two new purge
-- functions in the purge file (the only door), each batch recorded in retention_purges; pg_cron
-- runs it hourly (controlroom_apply_retention).

set lock_timeout = '5s';
set statement_timeout = '60s';

create table public.retention_policies (
    workspace_id uuid not null,
    events_after_days integer,
    runs_after_days integer,
    updated_at timestamptz not null,
    updated_by text not null,
    constraint retention_policies_pkey primary key (workspace_id),
    constraint retention_policies_events_after_days_range check (events_after_days between 1 and 36500),
    constraint retention_policies_runs_after_days_range check (runs_after_days between 1 and 36500),
    constraint retention_policies_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

comment on table public.retention_policies is
'How long a workspace keeps its history; null keeps it forever. Applied by the controlroom_apply_retention pg_cron job (private.apply_retention); set with set_retention_policy.';
comment on column public.retention_policies.workspace_id is 'The workspace.';
comment on column public.retention_policies.events_after_days is 'Run events older than this many days (by ts) of finished runs are purged; null: kept.';
comment on column public.retention_policies.runs_after_days is 'Runs finished more than this many days ago are purged with their attempts, transitions, events, artifact records and lineage; null: kept.';
comment on column public.retention_policies.updated_at is 'When the policy was last set.';
comment on column public.retention_policies.updated_by is 'Who set it (user:<uuid> or service_role).';

create table public.retention_purges (
    id bigint generated always as identity,
    workspace_id uuid not null,
    what text not null,
    rows_purged bigint not null,
    cutoff timestamptz not null,
    policy jsonb not null,
    purged_at timestamptz not null,
    constraint retention_purges_pkey primary key (id),
    constraint retention_purges_what_valid check (what in ('run_events', 'runs')),
    constraint retention_purges_rows_positive check (rows_purged > 0),
    constraint retention_purges_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index retention_purges_workspace_id_purged_at_idx on public.retention_purges (workspace_id, purged_at);

comment on table public.retention_purges is
'Append-only record of every retention purge: one row per batch that removed something.';
comment on column public.retention_purges.id is 'Order of the purges.';
comment on column public.retention_purges.workspace_id is 'Whose history was purged.';
comment on column public.retention_purges.what is 'run_events | runs (runs include their attempts, transitions, events, artifact records and lineage).';
comment on column public.retention_purges.rows_purged is 'How many events, or runs, the batch removed.';
comment on column public.retention_purges.cutoff is 'Older than this was purged.';
comment on column public.retention_purges.policy is 'The policy (retention_policies row as JSON) that asked for it.';
comment on column public.retention_purges.purged_at is 'When (the as_of of the job).';

create trigger retention_purges_append_only
before update or delete on public.retention_purges
for each statement execute function private.reject_table_change('retention purges are an append-only record.');

create trigger retention_purges_no_truncate
before truncate on public.retention_purges
for each statement execute function private.reject_table_change('retention purges are an append-only record.');

alter table public.retention_policies enable row level security;
alter table public.retention_purges enable row level security;

revoke all on table public.retention_policies from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.retention_purges from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.retention_policies to authenticated, service_role;
grant select on table public.retention_purges to authenticated, service_role;

create policy retention_policies_select_members on public.retention_policies
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create policy retention_purges_select_members on public.retention_purges
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

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

create function public.set_retention_policy(
    workspace_id uuid,
    events_after_days integer default null,
    runs_after_days integer default null,
    as_of timestamptz default null
)
returns public.retention_policies
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(set_retention_policy.as_of);
    v_actor text := private.assert_limits_admin(set_retention_policy.workspace_id);
    v_policy public.retention_policies;
begin
    if set_retention_policy.events_after_days not between 1 and 36500
        or set_retention_policy.runs_after_days not between 1 and 36500 then
        raise exception 'retention is 1 to 36500 days, or null to keep forever'
        using errcode = '22023',
        detail = pg_catalog.format('events_after_days=%s runs_after_days=%s',
            set_retention_policy.events_after_days, set_retention_policy.runs_after_days),
        hint = 'Pass a number of days, or null.';
    end if;
    insert into public.retention_policies as p (workspace_id, events_after_days, runs_after_days, updated_at, updated_by)
    values (set_retention_policy.workspace_id, set_retention_policy.events_after_days,
        set_retention_policy.runs_after_days, v_as_of, v_actor)
    on conflict on constraint retention_policies_pkey do update
    set events_after_days = excluded.events_after_days, runs_after_days = excluded.runs_after_days,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by
    returning p.* into v_policy;
    return v_policy;
end
$$;

comment on function public.set_retention_policy(uuid, integer, integer, timestamptz) is
'Sets how long a workspace keeps run events (events_after_days) and finished runs with their history (runs_after_days); null keeps them forever. Admins and owners, or the service role (42501 otherwise); 22023 out of 1..36500 days.';

revoke execute on function public.set_retention_policy(uuid, integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.set_retention_policy(uuid, integer, integer, timestamptz) to authenticated, service_role;

create function private.apply_retention(as_of timestamptz, max_rows integer default 5000)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_budget integer := apply_retention.max_rows;
    v_policy public.retention_policies;
    v_cutoff timestamptz;
    v_count bigint;
    v_total bigint := 0::bigint;
begin
    -- GUARD: one batch of at most max_rows events or runs in all, so a transaction stays short;
    -- `more` tells the caller to commit and call again.
    for v_policy in
        select p.* from public.retention_policies as p
        where p.events_after_days is not null or p.runs_after_days is not null
        order by p.workspace_id
    loop
        if v_policy.runs_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.runs_after_days);
            v_count := private.purge_finished_runs_of(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'runs', v_count, v_cutoff, pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        if v_policy.events_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.events_after_days);
            v_count := private.purge_run_events(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'run_events', v_count, v_cutoff, pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
                v_budget := v_budget - v_count::integer;
                v_total := v_total + v_count;
            end if;
        end if;
        exit when v_budget <= 0;
    end loop;
    return pg_catalog.jsonb_build_object('purged', v_total, 'more', v_budget <= 0);
end
$$;

comment on function private.apply_retention(timestamptz, integer) is
'Applies every workspace''s retention policy as of as_of: finished runs (with their history) and run events older than the policy, at most max_rows rows in all per call, each batch recorded in retention_purges. Returns {purged, more}; more = the budget ran out, call again after committing.';

select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_apply_retention';

select cron.schedule(
    'controlroom_apply_retention',
    '17 * * * *',
    $job$do $retention$
begin
    while (private.apply_retention(pg_catalog.now(), 5000) ->> 'more')::boolean loop
        commit;
    end loop;
end
$retention$$job$
);
