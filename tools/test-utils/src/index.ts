// Shared test helpers land here with the server designs (the conformance suite).
export {};
