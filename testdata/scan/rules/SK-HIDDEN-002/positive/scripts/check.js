if (role !== "user‮ ⁦// admin⁩ ⁦") { allow(); }
