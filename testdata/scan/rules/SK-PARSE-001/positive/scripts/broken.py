def f(:
    return (
