-- Why: a spec's alerts settings (specs/schema/pipeline-spec.schema.json, AlertSettings) are read by
-- the signal triggers on the lease path, and publish_spec does not check their shape: a hand-made
-- body with labels that are not an object or a threshold that is not a number must not fail a
-- run's completion or the sweep. These helpers read them defensively: anything malformed is unset.

create function private.spec_alert_labels(body jsonb)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case when pg_catalog.jsonb_typeof(spec_alert_labels.body #> '{alerts,labels}') = 'object'
        then spec_alert_labels.body #> '{alerts,labels}' else '{}'::jsonb end
$$;

comment on function private.spec_alert_labels(jsonb) is
'The alerts.labels of a spec body (an object), or {} when unset or malformed.';

create function private.spec_alert_seconds(body jsonb, setting text)
returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case when pg_catalog.jsonb_typeof(spec_alert_seconds.body -> 'alerts' -> spec_alert_seconds.setting) = 'number'
        and (spec_alert_seconds.body -> 'alerts' ->> spec_alert_seconds.setting)::double precision > 0
        then (spec_alert_seconds.body -> 'alerts' ->> spec_alert_seconds.setting)::double precision end
$$;

comment on function private.spec_alert_seconds(jsonb, text) is
'A positive number of seconds from a spec body''s alerts settings (duration_warning_seconds, queued_warning_seconds), or null when unset or malformed.';
