/**
 * Binary-mask morphology for segmenters and preprocessing: run-length
 * labelling, distance transforms (city-block and exact Euclidean), 2D convex
 * hull images and 2D hole filling.
 *
 * @module
 */

export * from "./runs.ts";
export * from "./distance.ts";
export * from "./hull.ts";
export * from "./fill.ts";
