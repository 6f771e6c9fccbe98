#include "core/nps_category.h"

namespace tnps::core {

NpsCategory CategoryOf(int score) {
  if (score >= 9) return NpsCategory::kPromoter;
  if (score >= 7) return NpsCategory::kPassive;
  return NpsCategory::kDetractor;
}

int NpsPoints(NpsCategory category) {
  switch (category) {
    case NpsCategory::kPromoter:
      return 100;
    case NpsCategory::kPassive:
      return 0;
    case NpsCategory::kDetractor:
      return -100;
  }
  return 0;
}

}  // namespace tnps::core
