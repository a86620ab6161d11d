module llmobs.test/standin

go 1.22
