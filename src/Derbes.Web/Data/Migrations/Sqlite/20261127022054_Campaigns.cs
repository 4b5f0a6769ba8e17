using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Campaigns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Campaigns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Channel = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 2, nullable: true),
                    RegisteredFrom = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    RegisteredTo = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    ScheduledFor = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedBy = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    PausedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CancelledAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Campaigns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CampaignRuns",
                columns: table => new
                {
                    CampaignId = table.Column<long>(type: "INTEGER", nullable: false),
                    Cursor = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Queued = table.Column<int>(type: "INTEGER", nullable: false),
                    PlannedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReleasedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignRuns", x => x.CampaignId);
                    table.ForeignKey(
                        name: "FK_CampaignRuns_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "CampaignTexts",
                columns: table => new
                {
                    CampaignId = table.Column<long>(type: "INTEGER", nullable: false),
                    Language = table.Column<string>(type: "TEXT", maxLength: 2, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Body = table.Column<string>(type: "TEXT", maxLength: 20000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CampaignTexts", x => new { x.CampaignId, x.Language });
                    table.ForeignKey(
                        name: "FK_CampaignTexts_Campaigns_CampaignId",
                        column: x => x.CampaignId,
                        principalTable: "Campaigns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_Reference_AccountId",
                table: "Outbox",
                columns: new[] { "Reference", "AccountId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Outbox_Reference_AvailableAt",
                table: "Outbox",
                columns: new[] { "Reference", "AvailableAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ConsentRecords_Reference",
                table: "ConsentRecords",
                column: "Reference");

            migrationBuilder.CreateIndex(
                name: "IX_Campaigns_Status_ScheduledFor",
                table: "Campaigns",
                columns: new[] { "Status", "ScheduledFor" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CampaignRuns");

            migrationBuilder.DropTable(
                name: "CampaignTexts");

            migrationBuilder.DropTable(
                name: "Campaigns");

            migrationBuilder.DropIndex(
                name: "IX_Outbox_Reference_AccountId",
                table: "Outbox");

            migrationBuilder.DropIndex(
                name: "IX_Outbox_Reference_AvailableAt",
                table: "Outbox");

            migrationBuilder.DropIndex(
                name: "IX_ConsentRecords_Reference",
                table: "ConsentRecords");
        }
    }
}
