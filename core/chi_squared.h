// Tail probabilities of the chi-squared distribution, for joint Wald tests.
#ifndef TNPS_CORE_CHI_SQUARED_H_
#define TNPS_CORE_CHI_SQUARED_H_

namespace tnps::core {

// P(X >= x) for X ~ χ²(degrees_of_freedom); 1 for x <= 0.
double ChiSquaredSurvival(double x, int degrees_of_freedom);

}  // namespace tnps::core

#endif  // TNPS_CORE_CHI_SQUARED_H_
