"""Fixed-rate loan repayments, the tool of the explicit-parameters example.

Its parameters schema is written out in assistant.yaml, so the descriptions the model reads
live next to the prompt; the type hints here still document the function for Python readers.
"""


def loan_payment(principal: float, annual_rate_percent: float, years: int, repayment: str) -> str:
    """Compute the monthly repayments and total interest of a fixed-rate loan.

    Args:
        principal: Amount borrowed, greater than 0.
        annual_rate_percent: Nominal yearly interest rate in percent (3.6 means 3.6 %), 0 to 30.
        years: Duration in whole years, 1 to 50.
        repayment: "annuity" (equal monthly payments) or "linear" (equal principal parts).

    Returns:
        The first and last monthly payment, total interest and total paid, rounded to cents.
    """
    if principal <= 0:
        raise ValueError("principal must be greater than 0")
    if not 0 <= annual_rate_percent <= 30:
        raise ValueError("annual_rate_percent must be between 0 and 30")
    if not 1 <= years <= 50:
        raise ValueError("years must be between 1 and 50")
    if repayment not in ("annuity", "linear"):
        raise ValueError(f"repayment must be 'annuity' or 'linear', got {repayment!r}")

    months = years * 12
    rate = annual_rate_percent / 100 / 12
    if repayment == "annuity":
        payment = (
            principal / months if rate == 0 else principal * rate / (1 - (1 + rate) ** -months)
        )
        first = last = payment
        total = payment * months
    else:
        part = principal / months
        first = part + principal * rate
        last = part + part * rate
        # interest is paid on a balance that falls linearly: rate * part * (months + ... + 1)
        total = principal + rate * part * months * (months + 1) / 2
    interest = total - principal
    return (
        f"{repayment} loan of {principal:,.2f} at {annual_rate_percent:g}% over {years} years "
        f"({months} payments): first payment {first:,.2f}, last payment {last:,.2f}, "
        f"total interest {interest:,.2f}, total paid {total:,.2f}."
    )
