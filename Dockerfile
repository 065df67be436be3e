# The image the scale-out recipes run (docs/scale-out.md): Debian, the packages scripts/setup
# installs to build kafkasim, the Release binary at /usr/local/bin/kafkasim, and the scenarios
# under /kafkasim (the working directory), so `kafkasim sweep scenarios/...` runs as it does in
# a checkout. Build it from the repository's root:
#   docker build -t kafkasim .
#   docker run --rm kafkasim sweep scenarios/regression/safe_producer.lua --seeds 1..8
# scale-out/container-smoke.sh builds it and runs two shards and their merge, where a container
# engine is available; the test suite does not build it.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup scripts/setup
RUN scripts/setup --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN rm -rf build && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKAFKASIM_TESTS=OFF -DKAFKASIM_BENCH=OFF \
    && cmake --build build --target kafkasim

FROM debian:bookworm-slim
# What the binary links against (ldd build/kafkasim): Lua 5.4 built as C++, and fmt.
RUN apt-get update && apt-get install -y --no-install-recommends liblua5.4-0 libfmt9 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/kafkasim /usr/local/bin/kafkasim
COPY --from=build /src/scenarios /kafkasim/scenarios
WORKDIR /kafkasim
ENTRYPOINT ["kafkasim"]
