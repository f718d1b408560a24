-- Why: a pool is shared by workspaces, so its scoring weights belong to the platform: only the
-- service role sets them (docs/architecture.md, "Scheduling", how to tune).

create function public.set_score_weights(pool text, weights jsonb, as_of timestamptz default null)
returns public.score_weights
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(set_score_weights.as_of);
    v_unknown text;
    v_row public.score_weights;
begin
    if not private.caller_is_service_or_owner() then
        raise exception 'only the service role sets scoring weights'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Pools are shared by workspaces: ask the platform operators.';
    end if;
    if pg_catalog.jsonb_typeof(set_score_weights.weights) is distinct from 'object' then
        raise exception 'weights must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(set_score_weights.weights), 'null')),
        hint = 'Pass {"fair_share_weight": 2000, ...}; keys left out keep their value.';
    end if;
    select k into v_unknown
    from pg_catalog.jsonb_object_keys(set_score_weights.weights) as k
    where k not in (
        'priority_weight', 'age_weight', 'deadline_weight', 'fair_share_weight', 'retry_weight', 'duration_weight',
        'age_max_seconds', 'deadline_horizon_seconds', 'fair_share_half_life_seconds', 'duration_max_seconds'
    )
       or pg_catalog.jsonb_typeof(set_score_weights.weights -> k) <> 'number'
    order by k
    limit 1;
    if v_unknown is not null then
        raise exception 'unknown or non-numeric weight %', v_unknown
        using errcode = '22023',
        detail = 'Weights are the numeric columns of public.score_weights (docs/architecture.md, "Scheduling").',
        hint = 'Check the name; every value is a number.';
    end if;

    v_row := pg_catalog.jsonb_populate_record(private.pool_score_weights(set_score_weights.pool), set_score_weights.weights);
    insert into public.score_weights as w (
        pool, priority_weight, age_weight, deadline_weight, fair_share_weight, retry_weight, duration_weight,
        age_max_seconds, deadline_horizon_seconds, fair_share_half_life_seconds, duration_max_seconds,
        updated_at, updated_by
    )
    values (
        set_score_weights.pool, v_row.priority_weight, v_row.age_weight, v_row.deadline_weight,
        v_row.fair_share_weight, v_row.retry_weight, v_row.duration_weight, v_row.age_max_seconds,
        v_row.deadline_horizon_seconds, v_row.fair_share_half_life_seconds, v_row.duration_max_seconds,
        v_as_of, 'service_role'
    )
    on conflict (pool) do update
    set priority_weight = excluded.priority_weight,
        age_weight = excluded.age_weight,
        deadline_weight = excluded.deadline_weight,
        fair_share_weight = excluded.fair_share_weight,
        retry_weight = excluded.retry_weight,
        duration_weight = excluded.duration_weight,
        age_max_seconds = excluded.age_max_seconds,
        deadline_horizon_seconds = excluded.deadline_horizon_seconds,
        fair_share_half_life_seconds = excluded.fair_share_half_life_seconds,
        duration_max_seconds = excluded.duration_max_seconds,
        updated_at = excluded.updated_at,
        updated_by = excluded.updated_by
    returning w.* into v_row;
    return v_row;
end
$$;

comment on function public.set_score_weights(text, jsonb, timestamptz) is
'Sets a pool''s scoring weights (service role only): weights is a JSON object of score_weights'' numeric columns; keys left out keep their value (or the default). Stored scores follow at the next refresh tick. Out-of-range values fail the table''s CHECKs (23514).';

revoke execute on function public.set_score_weights(text, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.set_score_weights(text, jsonb, timestamptz) to service_role;
