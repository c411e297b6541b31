-- The AI chat (POST /api/ai/chat): conversations of one user in one
-- workspace, their messages in order, and the confirmation cards the model's
-- write tools produced. Nobody but the owner ever reads a conversation.

CREATE TABLE ai_conversations (
  id           text PRIMARY KEY DEFAULT wt_id('conv'),
  workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      text NOT NULL,
  title        text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_conversations_owner ON ai_conversations (workspace_id, user_id, updated_at DESC);

-- role: user, assistant (content and/or tool_calls), tool (the answer to
-- tool_call_id), or outcome (what became of a card, told to the model as a
-- system note on the next turn). turn numbers the person's messages, so the
-- oldest turns can be dropped whole when the context is too long.
CREATE TABLE ai_messages (
  id              bigserial PRIMARY KEY,
  conversation_id text NOT NULL REFERENCES ai_conversations(id) ON DELETE CASCADE,
  workspace_id    text NOT NULL,
  user_id         text NOT NULL,
  turn            integer NOT NULL,
  role            text NOT NULL CHECK (role IN ('user', 'assistant', 'tool', 'outcome')),
  content         text,
  tool_calls      jsonb,
  tool_call_id    text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_messages_conversation ON ai_messages (conversation_id, id);
-- The per-user rate limit counts the person's messages of the last minute.
CREATE INDEX ai_messages_user_recent ON ai_messages (workspace_id, user_id, created_at) WHERE role = 'user';

-- state: open until its outcome is known (confirmed, declined, expired) and
-- written into the conversation.
CREATE TABLE ai_cards (
  id                 text PRIMARY KEY DEFAULT wt_id('card'),
  conversation_id    text NOT NULL REFERENCES ai_conversations(id) ON DELETE CASCADE,
  workspace_id       text NOT NULL,
  user_id            text NOT NULL,
  tool               text NOT NULL,
  summary            text NOT NULL,
  preview            jsonb,
  details            jsonb,
  confirmation_token text NOT NULL,
  expires_at         timestamptz NOT NULL,
  state              text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'confirmed', 'declined', 'expired')),
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_cards_open ON ai_cards (conversation_id) WHERE state = 'open';
