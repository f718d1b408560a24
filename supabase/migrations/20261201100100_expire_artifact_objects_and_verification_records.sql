-- Why: retention of artifact objects and of verification records (issue 16, item 2). A workspace
-- policy now also says after how many days its artifact objects are deleted from S3
-- (artifacts_after_days) and its verification records purged (verifications_after_days). The
-- database cannot reach S3, so it decides and records, and `controlroom retention apply` deletes:
-- claim_artifact_expiries leases due artifacts in bounded batches (artifact_expiry_queue),
-- confirm_artifact_expiries records each delete (artifact_expiries, append-only, one per artifact;
-- the artifacts table stays write-once) and a retention_purges row; an object still under Object
-- Lock is deferred until its retention ends, recorded in the queue. private.apply_retention purges
-- verification records in its bounded batches. repair_run refuses to reuse an expired output.
-- set_retention_policy takes the two new periods (a new signature: the old one is dropped; calls
-- by name, as PostgREST makes them, still resolve). The new checks are added NOT VALID here and
-- validated by 20261201100200, in a transaction of its own.

set lock_timeout = '5s';
set statement_timeout = '60s';

alter table public.retention_policies
add column artifacts_after_days integer,
add column verifications_after_days integer;

alter table public.retention_policies
add constraint retention_policies_artifacts_after_days_range check (artifacts_after_days between 1 and 36500) not valid,
add constraint retention_policies_verifications_after_days_range
check (verifications_after_days between 1 and 36500) not valid;

comment on column public.retention_policies.artifacts_after_days is 'Artifact objects (the S3 version each record pins) registered more than this many days ago are deleted from S3 by controlroom retention apply and recorded in artifact_expiries; the records stay. Null: kept forever.';
comment on column public.retention_policies.verifications_after_days is 'Verification records (artifact.verified / artifact.verification_failed run events) older than this many days (by ts) are purged, of any run; null: kept.';

alter table public.retention_purges drop constraint retention_purges_what_valid;
alter table public.retention_purges add constraint retention_purges_what_valid check (
    what in ('run_events', 'runs', 'artifact_objects', 'artifact_verifications')
) not valid;

comment on column public.retention_purges.what is 'run_events | runs (runs include their attempts, transitions, events, artifact records and lineage) | artifact_objects (S3 objects deleted, one artifact_expiries row each) | artifact_verifications (artifact.verified / artifact.verification_failed events).';
comment on column public.retention_purges.rows_purged is 'How many events, runs or artifact objects the batch removed.';

create table public.artifact_expiry_queue (
    artifact_id uuid not null,
    workspace_id uuid not null,
    run_id uuid not null,
    artifact_created_at timestamptz not null,
    status text not null,
    due_at timestamptz,
    attempts integer not null default 0,
    lease_token uuid,
    claimed_by text,
    cutoff timestamptz,
    policy jsonb,
    last_outcome text,
    last_error text,
    retain_until timestamptz,
    updated_at timestamptz not null,
    constraint artifact_expiry_queue_pkey primary key (artifact_id),
    constraint artifact_expiry_queue_status_valid check (status in ('pending', 'leased', 'expired')),
    constraint artifact_expiry_queue_due_unless_expired check ((due_at is null) = (status = 'expired')),
    constraint artifact_expiry_queue_lease_when_leased check (status <> 'leased' or lease_token is not null),
    constraint artifact_expiry_queue_attempts_not_negative check (attempts >= 0),
    constraint artifact_expiry_queue_last_outcome_valid check (last_outcome in ('locked', 'failed')),
    constraint artifact_expiry_queue_last_error_length check (pg_catalog.char_length(last_error) <= 2000),
    constraint artifact_expiry_queue_claimed_by_length check (pg_catalog.char_length(claimed_by) between 1 and 200),
    constraint artifact_expiry_queue_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint artifact_expiry_queue_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

-- The claim's scan: what is due, oldest first; expired rows leave the index.
create index artifact_expiry_queue_due_at_idx on public.artifact_expiry_queue (due_at)
where status <> 'expired';
-- The enqueue step's high-water mark per workspace, and RLS.
create index artifact_expiry_queue_workspace_id_created_idx
on public.artifact_expiry_queue (workspace_id, artifact_created_at);
create index artifact_expiry_queue_run_id_idx on public.artifact_expiry_queue (run_id);

comment on table public.artifact_expiry_queue is
'Artifacts whose objects the retention policy made due for deletion from S3, and where each stands: pending (due_at: when it may be claimed; after a refusal, when to try again), leased (to claimed_by until due_at) or expired (artifact_expiries holds the record). Written only by claim_artifact_expiries and confirm_artifact_expiries.';
comment on column public.artifact_expiry_queue.artifact_id is 'The artifact whose object is to be deleted.';
comment on column public.artifact_expiry_queue.workspace_id is 'Its workspace (for RLS).';
comment on column public.artifact_expiry_queue.run_id is 'The run that produced it (the row goes with the run).';
comment on column public.artifact_expiry_queue.artifact_created_at is 'When the artifact was registered (the policy counts from here; the enqueue step''s high-water mark).';
comment on column public.artifact_expiry_queue.status is 'pending | leased | expired.';
comment on column public.artifact_expiry_queue.due_at is 'pending: claimable from then; leased: the lease ends then (claimable again after a crash); null once expired.';
comment on column public.artifact_expiry_queue.attempts is 'Claims so far.';
comment on column public.artifact_expiry_queue.lease_token is 'The token of the latest claim; a confirmation must carry it.';
comment on column public.artifact_expiry_queue.claimed_by is 'Who claimed it last (host and process of controlroom retention apply).';
comment on column public.artifact_expiry_queue.cutoff is 'The cutoff of the latest claim: artifacts registered before it were due.';
comment on column public.artifact_expiry_queue.policy is 'The retention policy (row as JSON) at the latest claim.';
comment on column public.artifact_expiry_queue.last_outcome is 'Why the last attempt did not delete: locked (Object Lock retention until retain_until) or failed (last_error); null otherwise.';
comment on column public.artifact_expiry_queue.last_error is 'What S3 answered when the last delete failed or was refused.';
comment on column public.artifact_expiry_queue.retain_until is 'The Object Lock retain-until date S3 reported; the delete is retried after it.';
comment on column public.artifact_expiry_queue.updated_at is 'When the row last changed (the as_of of the RPC).';

create table public.artifact_expiries (
    artifact_id uuid not null,
    workspace_id uuid not null,
    run_id uuid not null,
    uri text not null,
    version_id text,
    outcome text not null,
    cutoff timestamptz not null,
    policy jsonb not null,
    expired_by text not null,
    expired_at timestamptz not null,
    constraint artifact_expiries_pkey primary key (artifact_id),
    constraint artifact_expiries_outcome_valid check (outcome in ('deleted', 'already_gone')),
    constraint artifact_expiries_run_id_fkey foreign key (run_id)
    references public.runs (id) on delete cascade,
    constraint artifact_expiries_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index artifact_expiries_workspace_id_idx on public.artifact_expiries (workspace_id);
create index artifact_expiries_run_id_idx on public.artifact_expiries (run_id);

comment on table public.artifact_expiries is
'Append-only record of every artifact object deleted from S3 by retention: which version of which artifact, when, by whom, under which policy. verify and repair report such an artifact as expired. Written only by confirm_artifact_expiries; rows go with their run (retention purge).';
comment on column public.artifact_expiries.artifact_id is 'The artifact (its record stays: digest, size, lineage).';
comment on column public.artifact_expiries.workspace_id is 'Its workspace (for RLS).';
comment on column public.artifact_expiries.run_id is 'The run that produced it.';
comment on column public.artifact_expiries.uri is 'The object''s uri.';
comment on column public.artifact_expiries.version_id is 'The S3 version deleted (the one the record pins); null for unversioned buckets.';
comment on column public.artifact_expiries.outcome is 'deleted (the delete succeeded) | already_gone (S3 no longer had that version).';
comment on column public.artifact_expiries.cutoff is 'Artifacts registered before this were due.';
comment on column public.artifact_expiries.policy is 'The retention policy (row as JSON) that asked for it.';
comment on column public.artifact_expiries.expired_by is 'Who carried out the delete (claimed_by of the lease).';
comment on column public.artifact_expiries.expired_at is 'When the delete was confirmed (the as_of of confirm_artifact_expiries).';

create trigger artifact_expiries_append_only
before update or delete on public.artifact_expiries
for each statement execute function private.reject_table_change('artifact expiries are an append-only record.');

create trigger artifact_expiries_no_truncate
before truncate on public.artifact_expiries
for each statement execute function private.reject_table_change('artifact expiries are an append-only record.');

alter table public.artifact_expiry_queue enable row level security;
alter table public.artifact_expiries enable row level security;

revoke all on table public.artifact_expiry_queue from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.artifact_expiries from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.artifact_expiry_queue to authenticated, service_role;
grant select on table public.artifact_expiries to authenticated, service_role;

create policy artifact_expiry_queue_select_members on public.artifact_expiry_queue
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create policy artifact_expiries_select_members on public.artifact_expiries
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

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

create or replace function private.apply_retention(as_of timestamptz, max_rows integer default 5000)
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
            or p.verifications_after_days is not null
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
        if v_policy.verifications_after_days is not null and v_budget > 0 then
            v_cutoff := apply_retention.as_of - pg_catalog.make_interval(days => v_policy.verifications_after_days);
            v_count := private.purge_artifact_verifications(v_policy.workspace_id, v_cutoff, v_budget);
            if v_count > 0 then
                insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
                values (v_policy.workspace_id, 'artifact_verifications', v_count, v_cutoff,
                    pg_catalog.to_jsonb(v_policy), apply_retention.as_of);
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
'Applies every workspace''s retention policy as of as_of: finished runs (with their history), run events and verification records older than the policy, at most max_rows rows in all per call, each batch recorded in retention_purges. Returns {purged, more}; more = the budget ran out, call again after committing. Artifact objects: claim_artifact_expiries.';

drop function public.set_retention_policy(uuid, integer, integer, timestamptz);

create function public.set_retention_policy(
    workspace_id uuid,
    events_after_days integer default null,
    runs_after_days integer default null,
    artifacts_after_days integer default null,
    verifications_after_days integer default null,
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
        or set_retention_policy.runs_after_days not between 1 and 36500
        or set_retention_policy.artifacts_after_days not between 1 and 36500
        or set_retention_policy.verifications_after_days not between 1 and 36500 then
        raise exception 'retention is 1 to 36500 days, or null to keep forever'
        using errcode = '22023',
        detail = pg_catalog.format(
            'events_after_days=%s runs_after_days=%s artifacts_after_days=%s verifications_after_days=%s',
            set_retention_policy.events_after_days, set_retention_policy.runs_after_days,
            set_retention_policy.artifacts_after_days, set_retention_policy.verifications_after_days
        ),
        hint = 'Pass a number of days, or null.';
    end if;
    insert into public.retention_policies as p (
        workspace_id, events_after_days, runs_after_days, artifacts_after_days, verifications_after_days,
        updated_at, updated_by
    )
    values (set_retention_policy.workspace_id, set_retention_policy.events_after_days,
        set_retention_policy.runs_after_days, set_retention_policy.artifacts_after_days,
        set_retention_policy.verifications_after_days, v_as_of, v_actor)
    on conflict on constraint retention_policies_pkey do update
    set events_after_days = excluded.events_after_days, runs_after_days = excluded.runs_after_days,
        artifacts_after_days = excluded.artifacts_after_days,
        verifications_after_days = excluded.verifications_after_days,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by
    returning p.* into v_policy;
    return v_policy;
end
$$;

comment on function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz) is
'Sets how long a workspace keeps run events (events_after_days), finished runs with their history (runs_after_days), artifact objects in S3 (artifacts_after_days) and verification records (verifications_after_days); null keeps them forever. Admins and owners, or the service role (42501 otherwise); PT404 unknown workspace; 22023 out of 1..36500 days.';

revoke execute on function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz)
from public, anon, authenticated;
grant execute on function public.set_retention_policy(uuid, integer, integer, integer, integer, timestamptz)
to authenticated, service_role;

create function private.assert_retention_caller()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if not private.caller_is_service_or_owner() then
        raise exception 'only the service role expires artifact objects'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Run controlroom retention apply with the service-role key.';
    end if;
end
$$;

comment on function private.assert_retention_caller() is
'Raises 42501 unless the caller is the service role or the database owner (the artifact expiry RPCs).';

create function private.first_artifact_expiry_problem(results jsonb)
returns table (idx integer, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return query
    select (r.ordinality - 1)::integer, p.problem
    from (
        select e.value, e.ordinality,
            pg_catalog.row_number() over (
                partition by pg_catalog.lower(e.value ->> 'artifact_id') order by e.ordinality
            ) as copy_no
        from pg_catalog.jsonb_array_elements(first_artifact_expiry_problem.results) with ordinality as e (value, ordinality)
    ) as r
    cross join lateral (
        select case
            when pg_catalog.jsonb_typeof(r.value) <> 'object' then 'is not an object'
            when pg_catalog.jsonb_typeof(r.value -> 'artifact_id') is distinct from 'string'
                or r.value ->> 'artifact_id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then 'artifact_id must be a uuid string'
            when pg_catalog.jsonb_typeof(r.value -> 'lease_token') is distinct from 'string'
                or r.value ->> 'lease_token' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then 'lease_token must be a uuid string'
            when coalesce(r.value ->> 'outcome', '') not in ('deleted', 'already_gone', 'locked', 'failed')
                then 'outcome must be deleted, already_gone, locked or failed'
            when r.value ? 'retain_until' and pg_catalog.jsonb_typeof(r.value -> 'retain_until') <> 'null'
                and (pg_catalog.jsonb_typeof(r.value -> 'retain_until') <> 'string'
                    or r.value ->> 'retain_until' !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$')
                then 'retain_until must be an ISO 8601 timestamp string with a zone, or null'
            when r.value ? 'error' and pg_catalog.jsonb_typeof(r.value -> 'error') not in ('string', 'null')
                then 'error must be a string or null'
            when pg_catalog.char_length(r.value ->> 'error') > 2000
                then 'error has more than 2000 characters'
            when r.copy_no > 1
                then 'artifact_id is repeated in the batch'
        end as problem
    ) as p
    where p.problem is not null
    order by r.ordinality
    limit 1;
end
$$;

comment on function private.first_artifact_expiry_problem(jsonb) is
'The first invalid item of a confirm_artifact_expiries batch (index from 0 and what is wrong), or no row.';

create function public.claim_artifact_expiries(
    claimer text,
    max_artifacts integer default 100,
    lease_seconds integer default 300,
    workspace_id uuid default null,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(claim_artifact_expiries.as_of);
    v_enqueued bigint;
    v_expiries jsonb;
begin
    perform private.assert_retention_caller();
    if coalesce(pg_catalog.char_length(claim_artifact_expiries.claimer), 0) not between 1 and 200 then
        raise exception 'claimer must be 1 to 200 characters'
        using errcode = '22023', detail = 'path=$.claimer', hint = 'Name the claimer (host and process).';
    end if;
    if claim_artifact_expiries.max_artifacts is null or claim_artifact_expiries.max_artifacts not between 1 and 1000 then
        raise exception 'max_artifacts must be between 1 and 1000'
        using errcode = '22023', detail = pg_catalog.format('max_artifacts=%s', claim_artifact_expiries.max_artifacts),
        hint = 'Claim at most 1000 artifacts per call.';
    end if;
    if claim_artifact_expiries.lease_seconds is null or claim_artifact_expiries.lease_seconds not between 10 and 3600 then
        raise exception 'lease_seconds must be between 10 and 3600'
        using errcode = '22023', detail = pg_catalog.format('lease_seconds=%s', claim_artifact_expiries.lease_seconds),
        hint = 'A lease covers the deletes of one batch, e.g. 300 seconds.';
    end if;

    -- 1. Queue what the policies made due, per workspace from its high-water mark on, at most
    -- max_artifacts each: bounded, and never a walk over the artifacts queued before. Ties at the
    -- mark are skipped by the not-exists (many artifacts of one run share a registration time).
    insert into public.artifact_expiry_queue as q (
        artifact_id, workspace_id, run_id, artifact_created_at, status, due_at, updated_at
    )
    select a.id, a.workspace_id, a.run_id, a.created_at, 'pending', v_as_of, v_as_of
    from public.retention_policies as p
    cross join lateral (
        select pg_catalog.max(m.artifact_created_at) as mark
        from public.artifact_expiry_queue as m
        where m.workspace_id = p.workspace_id
    ) as m
    cross join lateral (
        select x.id, x.workspace_id, x.run_id, x.created_at
        from public.artifacts as x
        where x.workspace_id = p.workspace_id
            and x.created_at < v_as_of - pg_catalog.make_interval(days => p.artifacts_after_days)
            and x.created_at >= coalesce(m.mark, '-infinity'::timestamptz)
            and not exists (select from public.artifact_expiry_queue as e where e.artifact_id = x.id)
        order by x.created_at
        limit claim_artifact_expiries.max_artifacts
    ) as a
    where p.artifacts_after_days is not null
        and (claim_artifact_expiries.workspace_id is null or p.workspace_id = claim_artifact_expiries.workspace_id)
    on conflict on constraint artifact_expiry_queue_pkey do nothing;
    get diagnostics v_enqueued = row_count;

    -- 2. Claim: one statement, SKIP LOCKED, each claim a new lease token.
    with locked as (
        -- GUARD: an artifact another claimer is claiming right now is skipped, never shared; a
        -- lease that ran out (a crashed claimer) is due again.
        select q.artifact_id
        from public.artifact_expiry_queue as q
        where q.status <> 'expired' and q.due_at <= v_as_of
            and (claim_artifact_expiries.workspace_id is null or q.workspace_id = claim_artifact_expiries.workspace_id)
        order by q.due_at, q.artifact_id
        limit claim_artifact_expiries.max_artifacts
        for update skip locked
    ),
    judged as (
        -- GUARD: the policy is read again at the claim: one made longer (or removed) since the
        -- artifact was queued puts it back until it is due under the new policy (a day to look
        -- again when there is none).
        select
            q.artifact_id,
            p.artifacts_after_days,
            coalesce(q.artifact_created_at < v_as_of - pg_catalog.make_interval(days => p.artifacts_after_days), false)
                as due,
            pg_catalog.to_jsonb(p) as policy
        from locked as l
        inner join public.artifact_expiry_queue as q on q.artifact_id = l.artifact_id
        left join public.retention_policies as p on p.workspace_id = q.workspace_id
    ),
    claimed as (
        update public.artifact_expiry_queue as q
        set status = case when j.due then 'leased' else 'pending' end,
            due_at = case
                when j.due then v_as_of + pg_catalog.make_interval(secs => claim_artifact_expiries.lease_seconds)
                else coalesce(
                    q.artifact_created_at + pg_catalog.make_interval(days => j.artifacts_after_days),
                    v_as_of + pg_catalog.make_interval(days => 1)
                )
            end,
            attempts = q.attempts + case when j.due then 1 else 0 end,
            lease_token = case when j.due then pg_catalog.gen_random_uuid() else q.lease_token end,
            claimed_by = case when j.due then claim_artifact_expiries.claimer else q.claimed_by end,
            cutoff = case
                when j.due then v_as_of - pg_catalog.make_interval(days => j.artifacts_after_days) else q.cutoff
            end,
            policy = case when j.due then j.policy else q.policy end,
            updated_at = v_as_of
        from judged as j
        where q.artifact_id = j.artifact_id
        returning q.artifact_id, q.lease_token, q.due_at, q.attempts, q.cutoff, j.due
    )
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'artifact_id', a.id,
        'lease_token', c.lease_token,
        'lease_expires_at', c.due_at,
        'attempt', c.attempts,
        'workspace_id', a.workspace_id,
        'run_id', a.run_id,
        'uri', a.uri,
        'version_id', a.version_id,
        'etag', a.etag,
        'sha256', a.sha256,
        'size_bytes', a.size_bytes,
        'cutoff', c.cutoff
    ) order by a.created_at, a.id) filter (where c.due), '[]'::jsonb)
    into v_expiries
    from claimed as c
    inner join public.artifacts as a on a.id = c.artifact_id;

    return pg_catalog.jsonb_build_object('expiries', v_expiries, 'enqueued', v_enqueued, 'as_of', v_as_of);
end
$$;

comment on function public.claim_artifact_expiries(text, integer, integer, uuid, timestamptz) is
'For controlroom retention apply (service role): queues the artifacts whose objects the workspaces'' artifacts_after_days made due (at most max_artifacts per workspace per call), then leases up to max_artifacts due ones for lease_seconds; workspace_id (default all) scopes both steps to one workspace. Returns {expiries: [{artifact_id, lease_token, lease_expires_at, attempt, workspace_id, run_id, uri, version_id, etag, sha256, size_bytes, cutoff}], enqueued, as_of}. Delete exactly version_id of uri, then confirm_artifact_expiries. 42501 for other callers; 22023 bad claimer, max_artifacts (1..1000) or lease_seconds (10..3600).';

revoke execute on function public.claim_artifact_expiries(text, integer, integer, uuid, timestamptz)
from public, anon, authenticated, controlroom_executor;
grant execute on function public.claim_artifact_expiries(text, integer, integer, uuid, timestamptz) to service_role;

create function public.confirm_artifact_expiries(results jsonb, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(confirm_artifact_expiries.as_of);
    v_problem record;
    v_reply jsonb;
begin
    perform private.assert_retention_caller();
    if pg_catalog.jsonb_typeof(confirm_artifact_expiries.results) is distinct from 'array' then
        raise exception 'results must be a JSON array'
        using errcode = '22023', detail = 'path=$.results',
        hint = 'Send [{artifact_id, lease_token, outcome, retain_until, error}, …].';
    end if;
    if pg_catalog.jsonb_array_length(confirm_artifact_expiries.results) > 1000 then
        raise exception 'at most 1000 results per call'
        using errcode = 'PT413',
        detail = pg_catalog.format('results has %s items.', pg_catalog.jsonb_array_length(confirm_artifact_expiries.results)),
        hint = 'Split the batch.';
    end if;
    select f.idx, f.problem into v_problem
    from private.first_artifact_expiry_problem(confirm_artifact_expiries.results) as f;
    if found then
        raise exception 'results[%] %', v_problem.idx, v_problem.problem
        using errcode = '22023', detail = pg_catalog.format('path=$.results[%s]', v_problem.idx),
        hint = 'Each item: artifact_id and lease_token of a claim, outcome deleted | already_gone | locked | failed.';
    end if;

    -- Rows in a fixed order, so two confirmations of overlapping batches cannot deadlock.
    perform
    from public.artifact_expiry_queue as q
    where q.artifact_id in (
        select (r.value ->> 'artifact_id')::uuid
        from pg_catalog.jsonb_array_elements(confirm_artifact_expiries.results) as r (value)
    )
    order by q.artifact_id
    for update;

    with items as (
        select
            r.ordinality as n,
            (r.value ->> 'artifact_id')::uuid as artifact_id,
            (r.value ->> 'lease_token')::uuid as lease_token,
            r.value ->> 'outcome' as outcome,
            (r.value ->> 'retain_until')::timestamptz as retain_until,
            r.value ->> 'error' as error
        from pg_catalog.jsonb_array_elements(confirm_artifact_expiries.results) with ordinality as r (value, ordinality)
    ),
    judged as (
        select
            i.*,
            q.status,
            case
                when q.artifact_id is null then 'rejected'
                when q.lease_token is distinct from i.lease_token then 'rejected'
                -- GUARD: the same confirmation again (a retried call): nothing changes.
                when q.status = 'expired' then case when i.outcome in ('deleted', 'already_gone')
                    then 'duplicate' else 'rejected' end
                -- GUARD: a delete that happened is recorded whatever the lease's clock says, as long
                -- as no later claim took the artifact (that one deletes again and records it).
                when i.outcome in ('deleted', 'already_gone') then 'accepted'
                -- A refusal counts only from the live holder of the lease.
                when q.status = 'leased' then 'accepted'
                else 'rejected'
            end as verdict,
            case when q.artifact_id is null then 'PT404' else 'PT409' end as code
        from items as i
        left join public.artifact_expiry_queue as q on q.artifact_id = i.artifact_id
    ),
    done as (
        update public.artifact_expiry_queue as q
        set status = 'expired', due_at = null, last_outcome = null, last_error = null, retain_until = null,
            updated_at = v_as_of
        from judged as j
        where q.artifact_id = j.artifact_id and j.verdict = 'accepted' and j.outcome in ('deleted', 'already_gone')
        returning q.artifact_id, q.workspace_id, q.cutoff, q.policy, q.claimed_by, j.outcome
    ),
    recorded as (
        insert into public.artifact_expiries (
            artifact_id, workspace_id, run_id, uri, version_id, outcome, cutoff, policy, expired_by, expired_at
        )
        select d.artifact_id, d.workspace_id, a.run_id, a.uri, a.version_id, d.outcome, d.cutoff, d.policy,
            d.claimed_by, v_as_of
        from done as d
        inner join public.artifacts as a on a.id = d.artifact_id
        returning workspace_id, cutoff, policy
    ),
    purges as (
        insert into public.retention_purges (workspace_id, what, rows_purged, cutoff, policy, purged_at)
        select r.workspace_id, 'artifact_objects', pg_catalog.count(*), pg_catalog.max(r.cutoff),
            (pg_catalog.array_agg(r.policy order by r.cutoff desc))[1], v_as_of
        from recorded as r
        group by r.workspace_id
        returning rows_purged
    ),
    deferred as (
        -- Still under Object Lock: tried again once its retention ends (a minute from now at the
        -- earliest). A failed delete: backoff 2^attempts minutes, at most a day.
        update public.artifact_expiry_queue as q
        set status = 'pending',
            due_at = case j.outcome
                when 'locked' then greatest(
                    coalesce(j.retain_until, v_as_of + pg_catalog.make_interval(hours => 1)),
                    v_as_of + pg_catalog.make_interval(mins => 1)
                )
                else v_as_of + pg_catalog.make_interval(
                    mins => least(1440, pg_catalog.power(2, least(q.attempts, 11))::integer)
                )
            end,
            last_outcome = j.outcome,
            last_error = j.error,
            retain_until = case when j.outcome = 'locked' then j.retain_until end,
            updated_at = v_as_of
        from judged as j
        where q.artifact_id = j.artifact_id and j.verdict = 'accepted' and j.outcome in ('locked', 'failed')
        returning q.artifact_id, q.due_at
    )
    select pg_catalog.jsonb_build_object(
        'results', coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'artifact_id', j.artifact_id,
            'outcome', j.verdict,
            'recorded', case
                when j.verdict = 'rejected' then null
                when j.outcome in ('deleted', 'already_gone') then 'expired'
                else 'deferred'
            end,
            'retry_at', f.due_at,
            'code', case when j.verdict = 'rejected' then j.code end,
            'message', case
                when j.verdict <> 'rejected' then null
                when j.code = 'PT404' then 'no artifact expiry is queued for this artifact'
                else 'the lease token is not the current claim of this artifact'
            end
        )) order by j.n), '[]'::jsonb),
        'expired', (select pg_catalog.count(*) from done),
        'purge_rows', (select coalesce(pg_catalog.sum(p.rows_purged), 0) from purges as p),
        'deferred', (select pg_catalog.count(*) from deferred),
        'as_of', v_as_of
    )
    into v_reply
    from judged as j
    left join deferred as f on f.artifact_id = j.artifact_id;
    return v_reply;
end
$$;

comment on function public.confirm_artifact_expiries(jsonb, timestamptz) is
'For controlroom retention apply (service role): what became of each claimed artifact object. deleted / already_gone record the expiry (artifact_expiries, and a retention_purges row per workspace: what artifact_objects, how many, cutoff, policy); locked (Object Lock, retain_until) and failed (error) put it back until retain_until or a backoff, recorded in artifact_expiry_queue. Per item outcome accepted | duplicate | rejected (code PT409: not the current lease; PT404: nothing queued). 42501 other callers; 22023 malformed item; PT413 over 1000 items.';

revoke execute on function public.confirm_artifact_expiries(jsonb, timestamptz)
from public, anon, authenticated, controlroom_executor;
grant execute on function public.confirm_artifact_expiries(jsonb, timestamptz) to service_role;

create or replace function public.repair_run(
    run_id uuid, from_phase text default null, idempotency_key text default null, as_of timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(repair_run.as_of);
    v_parent public.runs := private.visible_run(repair_run.run_id);
    v_phases text[];
    v_from text := repair_run.from_phase;
    v_index integer;
    v_reused jsonb;
    v_missing text;
begin
    if not v_parent.status = any(array['failed', 'timed_out', 'cancelled']) then
        raise exception 'run % is %: only a run that failed, timed out or was cancelled can be repaired',
            v_parent.id, v_parent.status
        using errcode = 'PT409',
        detail = 'A repair re-executes the phases a run did not finish.',
        hint = 'Use rerun_run for a new run of a succeeded (or still active) one.';
    end if;
    select pg_catalog.array_agg(p.value ->> 'name' order by p.n) into v_phases
    from public.pipeline_specs as s
    cross join pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(s.body -> 'phases') = 'array' then s.body -> 'phases' else '[]' end
    ) with ordinality as p (value, n)
    where s.id = v_parent.spec_id;
    if v_from is null then
        -- The phase the last attempt was in when it ended.
        select e.phase into v_from
        from public.run_events as e
        inner join public.run_attempts as a on a.id = e.attempt_id
        where e.run_id = v_parent.id and e.type = 'phase.started' and e.phase is not null
        order by a.attempt_no desc, e.seq desc
        limit 1;
        if v_from is null then
            raise exception 'run % never started a phase; say where to repair from', v_parent.id
            using errcode = '22023',
            detail = 'Without from_phase, a repair starts at the phase the last attempt ended in.',
            hint = 'Pass from_phase, or use rerun_run.';
        end if;
    end if;
    v_index := pg_catalog.array_position(v_phases, v_from);
    if v_index is null then
        raise exception 'phase % is not a phase of this run''s spec', v_from
        using errcode = '22023',
        detail = pg_catalog.format('Phases: %s.', pg_catalog.array_to_string(v_phases, ', ')),
        hint = 'Pass one of them as from_phase.';
    end if;
    v_reused := private.reused_outputs(v_parent, v_phases[1:v_index - 1]);
    -- GUARD: every phase before from_phase must have finished, or there is nothing to reuse.
    select p.name into v_missing
    from pg_catalog.unnest(v_phases[1:v_index - 1]) with ordinality as p (name, n)
    where not pg_catalog.jsonb_path_exists(v_reused, '$[*] ? (@.phase == $p)', pg_catalog.jsonb_build_object('p', p.name))
    order by p.n
    limit 1;
    if v_missing is not null then
        raise exception 'phase % did not finish in run %, so it cannot be reused', v_missing, v_parent.id
        using errcode = 'PT409',
        detail = 'A repair reuses the recorded outputs (artifacts) of every phase before from_phase.',
        hint = pg_catalog.format('Repair from %s or an earlier phase.', v_missing);
    end if;
    -- GUARD: an output whose object retention deleted (or is deleting) cannot be reused (0622).
    select (r.value ->> 'phase') || '/' || (r.value ->> 'name') into v_missing
    from pg_catalog.jsonb_array_elements(v_reused) as r (value)
    inner join public.artifact_expiry_queue as q on q.artifact_id = (r.value ->> 'artifact_id')::uuid
    where q.status in ('leased', 'expired')
    order by 1
    limit 1;
    if v_missing is not null then
        raise exception 'output % of run % expired under the workspace''s retention policy, so it cannot be reused',
            v_missing, v_parent.id
        using errcode = 'PT409',
        detail = 'A repair reuses the recorded outputs of every phase before from_phase; retention deleted this object from S3 (artifact_expiries).',
        hint = 'Rerun the run (rerun_run), or repair from the phase that produced this output.';
    end if;
    return private.resubmit_run(v_parent, 'repair', v_from, v_reused, repair_run.idempotency_key, v_as_of);
end
$$;

comment on function public.repair_run(uuid, text, text, timestamptz) is
'Submits a run that re-executes a failed, timed-out or cancelled run from from_phase (default: the phase its last attempt ended in), reusing the recorded outputs of the phases before it; the executor checks each reused artifact''s SHA-256 before trusting it. Same spec version, params and priority; linked in run_lineage (kind repair, reused). PT409 when the run succeeded or is active, a phase before from_phase did not finish, or an output to reuse expired (retention); 22023 unknown phase; PT404 unknown run.';

revoke execute on function public.repair_run(uuid, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.repair_run(uuid, text, text, timestamptz) to authenticated, service_role;
