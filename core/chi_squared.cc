#include "core/chi_squared.h"

#include <cmath>

namespace tnps::core {
namespace {

// Regularized lower incomplete gamma P(a, x) by its power series; converges
// quickly for x < a + 1.
double LowerSeries(double a, double x) {
  double term = 1.0 / a;
  double sum = term;
  for (int n = 1; n < 1000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-16) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Regularized upper incomplete gamma Q(a, x) by its continued fraction
// (modified Lentz); converges quickly for x >= a + 1.
double UpperFraction(double a, double x) {
  constexpr double kTiny = 1e-300;
  double b = x + 1 - a;
  double c = 1 / kTiny;
  double d = 1 / b;
  double h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-16) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double ChiSquaredSurvival(double x, int degrees_of_freedom) {
  if (x <= 0 || degrees_of_freedom <= 0) return 1;
  const double a = degrees_of_freedom / 2.0;
  const double half = x / 2;
  return half < a + 1 ? 1 - LowerSeries(a, half) : UpperFraction(a, half);
}

}  // namespace tnps::core
