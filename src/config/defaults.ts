export { STRATEGY_FILL, TIER_DEFAULTS, type TierDefaults } from "../../components/tiers";
