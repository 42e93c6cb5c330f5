const k = process.env.OPENAI_API_KEY;
