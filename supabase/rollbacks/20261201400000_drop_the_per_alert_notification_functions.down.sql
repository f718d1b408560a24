-- Rollback of 20261201400000: the per-alert payload and outbox functions again (unused).

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.alert_payload(alert public.alerts, change text, tier integer, as_of timestamptz)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
            select pg_catalog.jsonb_build_object(
                'alert_id', (alert_payload.alert).id,
                'workspace_id', (alert_payload.alert).workspace_id,
                'change', alert_payload.change,
                'status', (alert_payload.alert).status,
                'tier', alert_payload.tier,
                'route', (alert_payload.alert).route_name,
                'group_key', (alert_payload.alert).group_key,
                'fingerprint', (alert_payload.alert).fingerprint,
                'signal_type', (alert_payload.alert).signal_type,
                'severity', (alert_payload.alert).severity,
                'score', (alert_payload.alert).score,
                'subject', (alert_payload.alert).subject,
                'labels', (alert_payload.alert).labels,
                'summary', pg_catalog.format('[%s] %s %s%s', pg_catalog.upper((alert_payload.alert).severity),
                    pg_catalog.replace((alert_payload.alert).signal_type, '_', ' '),
                    coalesce('of ' || ((alert_payload.alert).subject ->> 'spec'), 'in ' || ((alert_payload.alert).subject ->> 'pool'), ''),
                    case alert_payload.change when 'resolved' then ' (resolved)' else '' end),
                'opened_at', (alert_payload.alert).opened_at,
                'last_signal_at', (alert_payload.alert).last_signal_at,
                'signal_count', (alert_payload.alert).signal_count,
                'runs_affected', (alert_payload.alert).runs_affected,
                'sent_for', alert_payload.as_of
            )
    );
end
$$;

comment on function private.alert_payload(public.alerts, text, integer, timestamptz) is
'The body of a notification: the alert (id, route, group key, fingerprint, type, severity, score, subject, labels, counts), the change notified, the tier, and a one-line summary.';

create function private.enqueue_alert_deliveries(alert public.alerts, tiers integer [], change text, as_of timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
    v_count integer;
begin
        -- One delivery per distinct target of the given tiers (1-based) of the alert's route, with the
        -- target's secret names from the same routing version.
        with v as (
            select rv.body from public.alert_route_versions as rv where rv.id = (enqueue_alert_deliveries.alert).route_version_id
        ),
        targets as (
            select distinct on (t.name) t.name, (select v.body -> 'targets' -> t.name from v) as target
            from pg_catalog.jsonb_array_elements(
                private.alert_route(enqueue_alert_deliveries.alert) -> 'escalation'
            ) with ordinality as e (tier, n)
            cross join lateral pg_catalog.jsonb_array_elements_text(e.tier -> 'targets') as t (name)
            where e.n = any(enqueue_alert_deliveries.tiers)
            order by t.name
        ),
        inserted as (
            insert into public.alert_deliveries (
                alert_id, workspace_id, tier, change, target_name, target_kind, url_secret, signing_secret,
                payload, next_attempt_at, created_at
            )
            select (enqueue_alert_deliveries.alert).id, (enqueue_alert_deliveries.alert).workspace_id,
                (select pg_catalog.max(x.n) from pg_catalog.unnest(enqueue_alert_deliveries.tiers) as x (n)),
                enqueue_alert_deliveries.change, t.name, t.target ->> 'kind', t.target ->> 'url_secret',
                t.target ->> 'signing_secret',
                private.alert_payload(enqueue_alert_deliveries.alert, enqueue_alert_deliveries.change,
                    (select pg_catalog.max(x.n) from pg_catalog.unnest(enqueue_alert_deliveries.tiers) as x (n)), enqueue_alert_deliveries.as_of),
                enqueue_alert_deliveries.as_of, enqueue_alert_deliveries.as_of
            from targets as t
            returning 1
        )
        select pg_catalog.count(*)::integer into v_count from inserted;
    return v_count;
end
$$;

comment on function private.enqueue_alert_deliveries(public.alerts, integer [], text, timestamptz) is
'Writes the outbox rows of a notification: one delivery per distinct target of the given tiers of the alert''s route, due at as_of. Returns how many.';
