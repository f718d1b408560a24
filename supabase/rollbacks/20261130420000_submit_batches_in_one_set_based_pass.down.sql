-- Rollback of 20261130420000_submit_batches_in_one_set_based_pass: the previous bodies of
-- private.submit_runs and public.submit_runs.

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
            (x.e ->> 'due_by')::timestamptz as due_by
        from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
    ),
    refs as (
        -- Each distinct spec reference of the batch is looked up once.
        select distinct q.spec_name, q.spec_version, q.spec_hash from req as q
    ),
    specs as (
        select f.spec_name as ref_name, f.spec_version as ref_version, f.spec_hash as ref_hash,
            s.id as spec_id, s.pool, s.required_labels, s.name, s.version,
            coalesce(s.body -> 'params', '{}'::jsonb) as params_schema
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
        select q.*, p.spec_id, p.pool, p.required_labels, p.name, p.version, p.params_schema
        from req as q
        inner join specs as p
            on p.ref_name is not distinct from q.spec_name
            and p.ref_version is not distinct from q.spec_version
            and p.ref_hash is not distinct from q.spec_hash
    ),
    checked as (
        select v.*, d.params, e.id as existing_id,
            (v.spec_id, d.params, v.priority, v.due_by)
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
    contexts as (
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
            private.score_in(x.context, k.priority, submit_runs.as_of, k.due_by, 0, submit_runs.as_of),
            submit_runs.as_of, submit_runs.as_of, submit_runs.actor, 'submitted', submit_runs.as_of, k.due_by
        from ranked as k
        inner join contexts as x on x.pool = k.pool and x.spec_id = k.spec_id
        where k.code is null and k.existing_id is null and (v_room is null or k.new_rank <= v_room)
        order by k.item
        on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
        returning r.id
    ),
    -- One array, not a join: the planner estimates CTEs at one row and would join them by a
    -- nested loop, quadratic in the batch.
    inserted_ids as (
        select coalesce(pg_catalog.array_agg(i.id), '{}') as ids from inserted as i
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
    cross join inserted_ids as n
    cross join lateral (select case when k.new_id = any(n.ids) then k.new_id end as id) as i
    order by k.item;
end
$$;

create or replace function public.submit_runs(workspace_id uuid, items jsonb, as_of timestamptz default null)
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
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_runs.as_of);
    v_actor text := private.assert_may_submit(submit_runs.workspace_id);
    v_count integer;
    v_repeat record;
begin
    if pg_catalog.jsonb_typeof(submit_runs.items) is distinct from 'array' then
        raise exception 'items must be a JSON array'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(submit_runs.items), 'null')),
        hint = 'Pass e.g. [{"spec_name": "etl", "params": {"day": "2026-11-30"}, "idempotency_key": "etl-2026-11-30"}].';
    end if;
    v_count := pg_catalog.jsonb_array_length(submit_runs.items);
    if v_count > 1000 then
        raise exception 'at most 1000 items per call, got %', v_count
        using errcode = 'PT413',
        detail = 'submit_runs queues one bounded batch per call.',
        hint = 'Split the batch into chunks of at most 1000 items.';
    end if;
    for i in 0 .. v_count - 1 loop
        perform private.assert_submit_item(submit_runs.items -> i, pg_catalog.format('items[%s].', i));
    end loop;
    select pg_catalog.min(x.n) - 1 as first, pg_catalog.max(x.n) - 1 as again, x.e ->> 'idempotency_key' as key
    into v_repeat
    from pg_catalog.jsonb_array_elements(submit_runs.items) with ordinality as x (e, n)
    where x.e ->> 'idempotency_key' is not null
    group by x.e ->> 'idempotency_key'
    having pg_catalog.count(*) > 1
    order by 1
    limit 1;
    if found then
        raise exception 'items[%].idempotency_key repeats the key of items[%]', v_repeat.again, v_repeat.first
        using errcode = '22023',
        detail = pg_catalog.format('Key %s.', v_repeat.key),
        hint = 'Each run of a batch needs its own idempotency key.';
    end if;

    return query
    select a.item, a.outcome, a.code, a.message, a.detail, a.hint, a.run_id
    from private.submit_runs(submit_runs.workspace_id, submit_runs.items, v_as_of, v_actor) as a;
end
$$;
