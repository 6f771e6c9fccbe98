// The NPS category of a 0..10 score (docs/statistics.md, "NPS and its
// categories").
#ifndef TNPS_CORE_NPS_CATEGORY_H_
#define TNPS_CORE_NPS_CATEGORY_H_

namespace tnps::core {

enum class NpsCategory { kDetractor, kPassive, kPromoter };

inline constexpr int kMinScore = 0;
inline constexpr int kMaxScore = 10;

// Promoter 9..10, passive 7..8, detractor 0..6. `score` must be in 0..10.
NpsCategory CategoryOf(int score);

// The value of one response in NPS points: +100, 0 or -100.
int NpsPoints(NpsCategory category);

}  // namespace tnps::core

#endif  // TNPS_CORE_NPS_CATEGORY_H_
