# hostile prior: exponential recursion
# expect: refused at load
# refused: loop iterations/function calls in one call
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def policy(obs):
    return [fib(40) * 0.0] * 3
