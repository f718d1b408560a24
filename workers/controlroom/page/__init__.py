"""The control room page's local server: the static files of `web/`, supabase-js vendored from
node_modules, and the project's public settings (API URL, anon key). Nothing else: the page talks to
the Data API itself, as any browser client of a Supabase project does, and RLS decides what it sees."""
