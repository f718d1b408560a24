-- Why: the alert-dispatch Edge Function takes notifications from the outbox with the executors'
-- lease pattern (0520, 0505): a claim is one statement, SKIP LOCKED, each claim a new lease token,
-- and a delivery whose lease expired (a crashed dispatcher) is claimable again, so two dispatchers
-- never hold one delivery and none is lost. Before claiming it runs the due alert work, bounded,
-- so escalation is timely whenever a dispatcher polls (pg_cron runs the same every minute).
-- Service role only: the Edge Function runs with the service-role key.

create function private.assert_dispatcher_caller()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if not private.caller_is_service_or_owner() then
        raise exception 'only the service role dispatches alert deliveries'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'The alert-dispatch Edge Function calls this with the service-role key.';
    end if;
end
$$;

comment on function private.assert_dispatcher_caller() is
'Raises 42501 unless the caller is the service role or the database owner (the dispatcher RPCs).';

create function private.delivery_max_attempts()
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    select 8
$$;

comment on function private.delivery_max_attempts() is
'Attempts of a delivery before it is dead (8).';

create function public.claim_deliveries(
    dispatcher text,
    max_deliveries integer default 50,
    lease_seconds integer default 30,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(claim_deliveries.as_of);
    v_notified integer;
    v_deliveries jsonb;
begin
    perform private.assert_dispatcher_caller();
    if coalesce(pg_catalog.char_length(claim_deliveries.dispatcher), 0) not between 1 and 200 then
        raise exception 'dispatcher must be 1 to 200 characters'
        using errcode = '22023', detail = 'path=$.dispatcher', hint = 'Name the dispatcher (host and process).';
    end if;
    if claim_deliveries.max_deliveries is null or claim_deliveries.max_deliveries not between 1 and 500 then
        raise exception 'max_deliveries must be between 1 and 500'
        using errcode = '22023', detail = pg_catalog.format('max_deliveries=%s', claim_deliveries.max_deliveries),
        hint = 'Claim at most 500 deliveries per call.';
    end if;
    if claim_deliveries.lease_seconds is null or claim_deliveries.lease_seconds not between 1 and 3600 then
        raise exception 'lease_seconds must be between 1 and 3600'
        using errcode = '22023', detail = pg_catalog.format('lease_seconds=%s', claim_deliveries.lease_seconds),
        hint = 'A lease covers one send with its timeout, e.g. 30 seconds.';
    end if;

    v_notified := private.escalate_due_alerts(v_as_of, 200);

    with candidates as (
        (
            select d.id
            from public.alert_deliveries as d
            where d.status in ('pending', 'failed') and d.next_attempt_at <= v_as_of
            order by d.next_attempt_at
            limit claim_deliveries.max_deliveries
        )
        union all
        (
            -- A crashed dispatcher's deliveries: the lease ran out without a report.
            select d.id
            from public.alert_deliveries as d
            where d.status = 'leased' and d.lease_expires_at <= v_as_of
            order by d.lease_expires_at
            limit claim_deliveries.max_deliveries
        )
    ),
    locked as (
        -- GUARD: a delivery another dispatcher is claiming right now is skipped, never shared.
        select d.id, d.status as old_status, d.lease_token as old_token, d.dispatcher as old_dispatcher,
            d.attempts as old_attempts
        from public.alert_deliveries as d
        where d.id in (select c.id from candidates as c)
          and ((d.status in ('pending', 'failed') and d.next_attempt_at <= v_as_of)
              or (d.status = 'leased' and d.lease_expires_at <= v_as_of))
        order by d.next_attempt_at, d.id
        limit claim_deliveries.max_deliveries
        for update skip locked
    ),
    expired as (
        -- Every attempt is recorded: the one a crashed dispatcher never reported, too.
        insert into public.alert_delivery_attempts (
            delivery_id, workspace_id, attempt, lease_token, dispatcher, outcome, error, at
        )
        select l.id, d.workspace_id, l.old_attempts, l.old_token, l.old_dispatcher, 'expired',
            'lease expired without a report (dispatcher crashed or timed out)', v_as_of
        from locked as l
        inner join public.alert_deliveries as d on d.id = l.id
        where l.old_status = 'leased'
    ),
    claimed as (
        update public.alert_deliveries as d
        set status = case when d.attempts >= private.delivery_max_attempts() then 'dead' else 'leased' end,
            attempts = case when d.attempts >= private.delivery_max_attempts() then d.attempts else d.attempts + 1 end,
            lease_token = case when d.attempts >= private.delivery_max_attempts() then d.lease_token
                else pg_catalog.gen_random_uuid() end,
            lease_expires_at = case when d.attempts >= private.delivery_max_attempts() then null
                else v_as_of + pg_catalog.make_interval(secs => claim_deliveries.lease_seconds) end,
            dispatcher = case when d.attempts >= private.delivery_max_attempts() then null
                else claim_deliveries.dispatcher end,
            finished_at = case when d.attempts >= private.delivery_max_attempts() then v_as_of end,
            last_error = case when d.attempts >= private.delivery_max_attempts()
                then 'attempts exhausted: the last lease expired without a report' else d.last_error end
        from locked as l
        where d.id = l.id
        returning d.*
    )
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'id', c.id,
        'lease_token', c.lease_token,
        'lease_expires_at', c.lease_expires_at,
        'attempt', c.attempts,
        'alert_id', c.alert_id,
        'group_id', c.group_id,
        'workspace_id', c.workspace_id,
        'tier', c.tier,
        'change', c.change,
        'target', pg_catalog.jsonb_build_object(
            'name', c.target_name, 'kind', c.target_kind,
            'url_secret', c.url_secret, 'signing_secret', c.signing_secret
        ),
        'payload', c.payload
    ) order by c.next_attempt_at, c.id) filter (where c.status = 'leased'), '[]'::jsonb)
    into v_deliveries
    from claimed as c;

    return pg_catalog.jsonb_build_object('deliveries', v_deliveries, 'alerts_notified', v_notified, 'as_of', v_as_of);
end
$$;

comment on function public.claim_deliveries(text, integer, integer, timestamptz) is
'Dispatcher claim: first the due alert work (escalation, bounded to 200 groups), then up to max_deliveries due deliveries (pending, failed past their backoff, or leased with an expired lease) with a new lease token each, SKIP LOCKED. An expired lease is recorded as an expired attempt; past 8 attempts the delivery is dead. Returns {deliveries: [{id, lease_token, lease_expires_at, attempt, alert_id, group_id, workspace_id, tier, change, target {name, kind, url_secret, signing_secret}, payload}], alerts_notified, as_of}. Service role only.';

revoke execute on function public.claim_deliveries(text, integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.claim_deliveries(text, integer, integer, timestamptz) to service_role;

create function public.finish_delivery(
    lease_token uuid,
    outcome text,
    status_code integer default null,
    latency_ms integer default null,
    error text default null,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(finish_delivery.as_of);
    v_delivery public.alert_deliveries;
    v_previous public.alert_delivery_attempts;
begin
    perform private.assert_dispatcher_caller();
    if finish_delivery.lease_token is null then
        raise exception 'lease_token is required'
        using errcode = '22023', detail = 'path=$.lease_token', hint = 'Send the lease_token claim_deliveries gave.';
    end if;
    if finish_delivery.outcome is null or finish_delivery.outcome not in ('sent', 'failed') then
        raise exception 'outcome must be sent or failed'
        using errcode = '22023', detail = pg_catalog.format('outcome=%s', coalesce(finish_delivery.outcome, 'null')),
        hint = 'sent: the receiver answered 2xx; failed: anything else (status, timeout, connection error).';
    end if;
    if finish_delivery.status_code not between 100 and 599 or finish_delivery.latency_ms < 0 then
        raise exception 'status_code must be an HTTP status (100-599) and latency_ms not negative'
        using errcode = '22023',
        detail = pg_catalog.format('status_code=%s latency_ms=%s', finish_delivery.status_code, finish_delivery.latency_ms),
        hint = 'Send null for a missing status code (timeout, connection error).';
    end if;

    -- GUARD: the same report again (a retried HTTP call): nothing changes.
    select a.* into v_previous from public.alert_delivery_attempts as a where a.lease_token = finish_delivery.lease_token;
    if found and v_previous.outcome in ('sent', 'failed') then
        select d.* into v_delivery from public.alert_deliveries as d where d.id = v_previous.delivery_id;
        return pg_catalog.jsonb_build_object(
            'outcome', 'duplicate', 'delivery_id', v_delivery.id, 'status', v_delivery.status,
            'attempt', v_previous.attempt, 'next_attempt_at', v_delivery.next_attempt_at
        );
    end if;
    -- GUARD: a stale lease (expired and claimed again, or never issued): the report is refused and
    -- changes nothing; the delivery belongs to its current holder.
    select d.* into v_delivery from public.alert_deliveries as d
    where d.lease_token = finish_delivery.lease_token and d.status = 'leased'
    for update;
    if not found then
        return pg_catalog.jsonb_build_object(
            'outcome', 'rejected', 'code', 'PT409',
            'message', 'the lease of this delivery is no longer valid',
            'delivery_id', coalesce(v_previous.delivery_id, (
                select d.id from public.alert_deliveries as d where d.lease_token = finish_delivery.lease_token
            )),
            'hint', 'Another dispatcher holds or finished the delivery; do not retry this report.'
        );
    end if;

    insert into public.alert_delivery_attempts (
        delivery_id, workspace_id, attempt, lease_token, dispatcher, outcome, status_code, latency_ms, error, at
    )
    values (
        v_delivery.id, v_delivery.workspace_id, v_delivery.attempts, finish_delivery.lease_token, v_delivery.dispatcher,
        finish_delivery.outcome, finish_delivery.status_code, finish_delivery.latency_ms,
        pg_catalog.left(finish_delivery.error, 2000), v_as_of
    );
    update public.alert_deliveries as d
    set status = case
            when finish_delivery.outcome = 'sent' then 'sent'
            when d.attempts >= private.delivery_max_attempts() then 'dead'
            else 'failed'
        end,
        finished_at = case
            when finish_delivery.outcome = 'sent' or d.attempts >= private.delivery_max_attempts() then v_as_of
        end,
        -- Exponential backoff: 2 s, 4 s, 8 s, … capped at 5 minutes.
        next_attempt_at = case
            when finish_delivery.outcome = 'failed' and d.attempts < private.delivery_max_attempts()
                then v_as_of + pg_catalog.make_interval(secs => least(300, 2 * power(2, d.attempts - 1)))
            else d.next_attempt_at
        end,
        lease_expires_at = null,
        dispatcher = null,
        last_error = case when finish_delivery.outcome = 'failed'
            then pg_catalog.left(coalesce(finish_delivery.error, 'HTTP ' || finish_delivery.status_code, 'failed'), 2000)
            else d.last_error end
    where d.id = v_delivery.id
    returning d.* into v_delivery;
    return pg_catalog.jsonb_build_object(
        'outcome', 'accepted', 'delivery_id', v_delivery.id, 'status', v_delivery.status,
        'attempt', v_delivery.attempts,
        'next_attempt_at', case when v_delivery.status = 'failed' then v_delivery.next_attempt_at end
    );
end
$$;

comment on function public.finish_delivery(uuid, text, integer, integer, text, timestamptz) is
'Dispatcher report of one attempt, fenced by its lease token: records it (status code, latency, error) and settles the delivery: sent, failed with a retry after 2 s x 2^(attempt-1) (at most 5 minutes), or dead after 8 attempts. Answers {outcome: accepted | duplicate (the same report again) | rejected (stale lease, code PT409), delivery_id, status, attempt, next_attempt_at}. Service role only.';

revoke execute on function public.finish_delivery(uuid, text, integer, integer, text, timestamptz) from public, anon, authenticated;
grant execute on function public.finish_delivery(uuid, text, integer, integer, text, timestamptz) to service_role;
