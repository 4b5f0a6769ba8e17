using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PolicyNotices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "RequiresReconsent",
                table: "PolicyEditions",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Reference",
                table: "Outbox",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "PolicyNoticeRuns",
                columns: table => new
                {
                    EditionNumber = table.Column<int>(type: "integer", nullable: false),
                    Cursor = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Queued = table.Column<int>(type: "integer", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PolicyNoticeRuns", x => x.EditionNumber);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PolicyNoticeRuns");

            migrationBuilder.DropColumn(
                name: "RequiresReconsent",
                table: "PolicyEditions");

            migrationBuilder.DropColumn(
                name: "Reference",
                table: "Outbox");
        }
    }
}
