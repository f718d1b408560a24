-- Why: retention of artifact objects (issue 16). The database decides and records; a process that
-- can reach S3 (`controlroom retention apply`, run on a schedule with the service-role key) does
-- the deletes in bounded batches, with the lease pattern of claim_runs and claim_deliveries:
-- claim_artifact_expiries leases due artifacts (each claim a new token; a lease that ran out
-- without a report is claimable again), the process deletes exactly the S3 version each record
-- pins, and confirm_artifact_expiries records each delete (artifact_expiries, one row per
-- artifact, and a retention_purges row per workspace and batch). A crash between the delete and
-- the confirmation loses nothing: the lease runs out, the next claim deletes the same version
-- again (S3 deletes of a version are idempotent) and the confirmation records it then. A version
-- still under Object Lock retention cannot be deleted: the process reports `locked` with the
-- retain-until date and the artifact waits until then, recorded in the queue.

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
