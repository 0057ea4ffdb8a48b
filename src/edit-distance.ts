/** The "did you mean" helpers live in the library (its rules suggest names too); the CLI and config read them here. */
export { closest, editDistance } from "../components/edit-distance";
