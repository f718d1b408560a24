-- Rollback of 20261201000100: the priority is read as integer text again.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.submit_runs(workspace_id uuid, items jsonb, as_of timestamptz, actor text)
returns table (
    item integer,
    outcome text,
    code text,
    message text,
    detail text,
    hint text,
    run_id uuid
)
language plpgsql
volatile
set search_path = ''
-- Spec and key lookups must stay index probes whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_limits public.workspace_limits;
    v_room integer;
    v_queued integer;
begin
    -- Items are well formed (private.assert_submit_item) and their idempotency keys distinct.
    select wl.* into v_limits from public.workspace_limits as wl
    where wl.workspace_id = submit_runs.workspace_id;
    if v_limits.max_queued_runs is not null then
        -- GUARD: concurrent submits of a workspace with a queue cap queue one at a time past this
        -- lock, so the count below (a statement of its own) sees every run queued before.
        perform from public.workspace_limits as wl
        where wl.workspace_id = submit_runs.workspace_id
        for no key update;
        select pg_catalog.count(*)::integer into v_queued
        from (
            select from public.runs as r
            where r.workspace_id = submit_runs.workspace_id and r.status = 'queued'
            limit v_limits.max_queued_runs
        ) as q;
        v_room := v_limits.max_queued_runs - v_queued;
    end if;

    return query
    with req as (
        select
            (x.n - 1)::integer as item,
            x.e ->> 'spec_name' as spec_name,
            x.e ->> 'spec_version' as spec_version,
            x.e ->> 'spec_hash' as spec_hash,
            coalesce(x.e -> 'params', '{}'::jsonb) as params_in,
            coalesce((x.e ->> 'priority')::integer, 0) as priority,
            x.e ->> 'idempotency_key' as idempotency_key,
            (x.e ->> 'due_by')::timestamptz as requested_due_by
        from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
    ),
    refs as (
        -- Each distinct spec reference of the batch is looked up once.
        select distinct q.spec_name, q.spec_version, q.spec_hash from req as q
    ),
    specs as (
        select f.spec_name as ref_name, f.spec_version as ref_version, f.spec_hash as ref_hash,
            s.id as spec_id, s.pool, s.required_labels, s.name, s.version,
            coalesce(s.body -> 'params', '{}'::jsonb) as params_schema,
            (s.body ->> 'due_within_seconds')::double precision as due_within_seconds
        from refs as f
        left join lateral (
            select s.id, s.pool, s.required_labels, s.name, s.version, s.body
            from public.pipeline_specs as s
            where s.workspace_id = submit_runs.workspace_id
              and (
                  (f.spec_hash is not null and s.spec_hash = f.spec_hash)
                  or (f.spec_name is not null and s.name = f.spec_name
                      and (f.spec_version is null or s.version = f.spec_version))
              )
            -- "Latest": the highest integer version; non-integer versions by publish time.
            order by
                case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
                s.published_at desc,
                s.id desc
            limit 1
        ) as s on true
    ),
    resolved as (
        select q.*, p.spec_id, p.pool, p.required_labels, p.name, p.version, p.params_schema,
            p.due_within_seconds,
            -- The run's own due_by, else the spec's due_within_seconds after the submit.
            coalesce(
                q.requested_due_by, submit_runs.as_of + pg_catalog.make_interval(secs => p.due_within_seconds)
            ) as due_by
        from req as q
        inner join specs as p
            on p.ref_name is not distinct from q.spec_name
            and p.ref_version is not distinct from q.spec_version
            and p.ref_hash is not distinct from q.spec_hash
    ),
    checked as (
        select v.*, d.params, e.id as existing_id,
            -- A due_by derived from the spec counts from the first submit, not from a retry's.
            (v.spec_id, d.params, v.priority, coalesce(
                v.requested_due_by, e.created_at + pg_catalog.make_interval(secs => v.due_within_seconds)
            ))
            is not distinct from (e.spec_id, e.params, e.priority, e.due_by) as same_request,
            pr.problems
        from resolved as v
        -- A spec without a params schema takes any object: no per-item schema work then.
        cross join lateral (
            select case when v.params_schema = '{}'::jsonb then v.params_in
                else private.params_with_defaults(v.params_schema, v.params_in) end as params
        ) as d
        cross join lateral (
            select case when v.params_schema <> '{}'::jsonb then private.params_problems(
                v.params_schema, d.params, pg_catalog.format('params of %s v%s', v.name, v.version)
            ) end as problems
        ) as pr
        left join public.runs as e
            on v.idempotency_key is not null
            and e.workspace_id = submit_runs.workspace_id and e.idempotency_key = v.idempotency_key
    ),
    judged as (
        -- The first refusal that applies, in the order submit_run has always checked them; a
        -- retried submit of a run already queued under its key is answered, not refused again.
        -- (CASE expressions rather than a subquery per item: this runs for every item of a batch.)
        select c.*,
            case
                when c.spec_id is null then 'PT404'
                when c.existing_id is not null and not c.same_request then '23505'
                when c.existing_id is null and c.problems is not null then '22023'
                when c.existing_id is null and c.priority > v_limits.max_priority then '22023'
            end as code,
            case
                when c.spec_id is null then pg_catalog.format(
                    'spec %s is not published in workspace %s',
                    coalesce(c.spec_hash, c.spec_name || coalesce('@' || c.spec_version, '')), submit_runs.workspace_id
                )
                when c.existing_id is not null and not c.same_request then
                    pg_catalog.format('idempotency key %s was used for a different request', c.idempotency_key)
                when c.existing_id is null and c.problems is not null then c.problems
                when c.existing_id is null and c.priority > v_limits.max_priority then pg_catalog.format(
                    'priority %s is above the workspace''s maximum priority %s', c.priority, v_limits.max_priority
                )
            end as message,
            case
                when c.spec_id is null then 'No published spec version matches.'
                when c.existing_id is not null and not c.same_request then pg_catalog.format(
                    'Run %s was submitted with this key for another spec, params, priority or due_by.', c.existing_id
                )
                when c.existing_id is null and c.problems is not null then
                    'The params do not match the spec''s params schema (defaults filled in).'
                when c.existing_id is null and c.priority > v_limits.max_priority then
                    pg_catalog.format('priority=%s limit=%s', c.priority, v_limits.max_priority)
            end as detail,
            case
                when c.spec_id is null then 'Publish the spec with publish_spec first, or check the name, version or hash.'
                when c.existing_id is not null and not c.same_request then 'Use a new idempotency key for a new request.'
                when c.existing_id is null and c.problems is not null then
                    'Fix the params; `controlroom spec show` prints the schema.'
                when c.existing_id is null and c.priority > v_limits.max_priority then
                    'Submit with a lower priority, or ask a workspace admin to raise max_priority.'
            end as hint
        from checked as c
    ),
    ranked as (
        select j.*, pg_catalog.gen_random_uuid() as new_id,
            pg_catalog.count(*) filter (where j.code is null and j.existing_id is null)
                over (order by j.item rows between unbounded preceding and current row) as new_rank
        from judged as j
    ),
    -- Materialised: inlined, the context would be computed again for every run it is joined to.
    contexts as materialized (
        -- What scores share, once per pool and spec of the batch (private.score_context).
        select g.pool, g.spec_id, private.score_context(submit_runs.workspace_id, g.pool, g.spec_id) as context
        from (select distinct k.pool, k.spec_id from ranked as k where k.spec_id is not null) as g
    ),
    inserted as (
        insert into public.runs as r (
            id, workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
            submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
            status_reason, updated_at, due_by
        )
        select
            k.new_id, submit_runs.workspace_id, k.spec_id, k.params, k.priority, k.idempotency_key, k.pool,
            k.required_labels, (select auth.uid()), submit_runs.as_of,
            pg_catalog.max(k.score) over (partition by k.pool, k.spec_id, k.priority, k.due_by),
            submit_runs.as_of, submit_runs.as_of, submit_runs.actor, 'submitted', submit_runs.as_of, k.due_by
        from (
            -- Runs of one spec version with the same priority and due_by score the same at submit:
            -- the score is computed for the first of each group and shared by the window above
            -- (a scoring call costs about 10 µs; a batch usually has a handful of groups).
            select k.*, case when k.nth = 1 then private.score_in(
                k.context, k.priority, submit_runs.as_of, k.due_by, 0, submit_runs.as_of
            ) end as score
            from (
                select k.*, x.context,
                    pg_catalog.row_number() over (partition by k.pool, k.spec_id, k.priority, k.due_by) as nth
                from ranked as k
                inner join contexts as x on x.pool = k.pool and x.spec_id = k.spec_id
                where k.code is null and k.existing_id is null and (v_room is null or k.new_rank <= v_room)
            ) as k
        ) as k
        order by k.item
        on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
        returning r.id
    )
    select k.item,
        case
            when k.code is not null then 'rejected'
            when k.existing_id is not null then 'duplicate'
            when i.id is not null then 'accepted'
            else 'rejected'
        end,
        case
            when k.code is not null then k.code
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then 'PT429'
            else '40001'
        end,
        case
            when k.code is not null then k.message
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                pg_catalog.format('workspace %s has %s queued runs, its limit', submit_runs.workspace_id, v_limits.max_queued_runs)
            else pg_catalog.format('idempotency key %s is being used by a concurrent submit', k.idempotency_key)
        end,
        case
            when k.code is not null then k.detail
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                pg_catalog.format('queued=%s limit=%s', v_limits.max_queued_runs, v_limits.max_queued_runs)
            else 'Another transaction inserted a run with this key and has not committed yet.'
        end,
        case
            when k.code is not null then k.hint
            when k.existing_id is not null or i.id is not null then null
            when v_room is not null and k.new_rank > v_room then
                'Retry when queued runs have been claimed, or ask a workspace admin to raise max_queued_runs.'
            else 'Retry the call: it then answers with the run of that submit.'
        end,
        coalesce(i.id, k.existing_id)
    from ranked as k
    -- An uncorrelated IN is one hashed subplan: a join would be a nested loop (the planner
    -- estimates CTEs at one row), quadratic in the batch.
    cross join lateral (
        select case when k.new_id in (select n.id from inserted as n) then k.new_id end as id
    ) as i
    order by k.item;
end
$$;
